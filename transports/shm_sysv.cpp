// shm_sysv: System V shared memory (shmget, mode 0600, shmat) carrying the
// payload, with one System V semaphore set of four (semget, semop) as the
// full/empty counters of the mailbox (see mailbox.hpp). Both are created
// exclusively, by the process that made the run's private directory, under
// the keys of labels "shm" and "sem" in this run (sysv_key: a hash of the
// run's name prefix and the label). Unlike the futex-based POSIX semaphores,
// every semop is a system call, even when it need not sleep. semop is never
// restarted after a signal handler, so the harness's SIGUSR1 ends a wait
// (EINTR). Both ids are recorded with their labels by record_sysv_object;
// teardown removes both with IPC_RMID (the segment itself goes when the last
// side detaches).
// Limits: kernel.shmmax (largest segment; checked, the error names it),
// kernel.shmall (total pages), kernel.shmmni (segments); kernel.sem is
// "SEMMSL SEMMNS SEMOPM SEMMNI" (this uses one set of four semaphores);
// SEMVMX 32767 is far above the slot count. Message size: any.
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include <array>

#include "sys/checked.hpp"
#include "sys/fd.hpp"
#include "sys/manifest.hpp"
#include "transports/mailbox.hpp"
#include "transports/registry.hpp"

namespace ipcb::transports {
namespace {

class SysvShmRegion final : public Region {
 public:
  explicit SysvShmRegion(const Config& c)
      : dir_(c.dir), key_(sys::sysv_key(c.name_prefix, "shm")) {
    what_ = "System V shm";
  }
  ~SysvShmRegion() override {
    if (base_ != nullptr) ::shmdt(base_);
  }
  void create(std::size_t bytes) override {
    check_shmmax(bytes);
    id_ = sys::create_exclusive(
        "shmget", what_ + " (key " + sys::sysv_key_hex(key_) + ")",
        [&] { return ::shmget(key_, bytes, IPC_CREAT | IPC_EXCL | 0600); });
    created_ = true;
    sys::record_sysv_object(dir_, "shm", id_, "shm");
    attach_id(bytes);
  }
  void attach(const nlohmann::json& h, std::size_t bytes) override {
    id_ = h.at("shmid").get<int>();
    attach_id(bytes);
  }
  nlohmann::json handoff() const override { return {{"shmid", id_}}; }
  void remove() noexcept override {
    if (created_) ::shmctl(id_, IPC_RMID, nullptr);
    created_ = false;
  }

 private:
  void attach_id(std::size_t bytes) {
    what_ = "System V shm id " + std::to_string(id_);
    shmid_ds ds{};
    sys::checked("shmctl(IPC_STAT)", what_,
                 [&] { return ::shmctl(id_, IPC_STAT, &ds); });
    if (ds.shm_segsz != bytes) {
      throw std::runtime_error(what_ + ": is " + std::to_string(ds.shm_segsz) +
                               " B, expected " + std::to_string(bytes) + " B");
    }
    void* p = nullptr;
    sys::checked("shmat", what_, [&] {
      p = ::shmat(id_, nullptr, 0);
      return p == reinterpret_cast<void*>(-1) ? -1 : 0;
    });
    base_ = static_cast<std::byte*>(p);
  }
  static void check_shmmax(std::size_t bytes) {
    std::string text = sys::read_text_file("/proc/sys/kernel/shmmax");
    if (text.empty()) return;
    unsigned long long max = std::stoull(text);
    if (bytes > max) {
      throw std::runtime_error(
          "System V shm: the region needs " + std::to_string(bytes) +
          " B, above kernel.shmmax = " + text +
          "; raise it with sysctl -w kernel.shmmax=" + std::to_string(bytes));
    }
  }

  std::string dir_;
  key_t key_;
  int id_ = -1;
  bool created_ = false;
};

class SysvSemNotifier final : public Notifier {
 public:
  explicit SysvSemNotifier(const Config& c)
      : dir_(c.dir), key_(sys::sysv_key(c.name_prefix, "sem")) {}
  std::size_t max_slots() const override { return 32767; }
  std::string slots_limit() const override {
    return "SysV semaphore values stop at SEMVMX = 32767 slots";
  }
  void create(std::byte*, const Counts& initial) override {
    id_ = sys::create_exclusive(
        "semget",
        "System V semaphore set (key " + sys::sysv_key_hex(key_) + ")",
        [&] { return ::semget(key_, kCounters, IPC_CREAT | IPC_EXCL | 0600); });
    created_ = true;
    sys::record_sysv_object(dir_, "sem", id_, "sem");
    name_counters();
    unsigned short values[kCounters];
    for (int i = 0; i < kCounters; ++i)
      values[i] = static_cast<unsigned short>(initial[i]);
    union semun {
      int val;
      semid_ds* buf;
      unsigned short* array;
    } arg{};
    arg.array = values;
    sys::checked("semctl(SETALL)", names_[0],
                 [&] { return ::semctl(id_, 0, SETALL, arg); });
  }
  nlohmann::json handoff() const override { return {{"semid", id_}}; }
  void attach(const nlohmann::json& h, std::byte*, const Counts&) override {
    id_ = h.at("semid").get<int>();
    name_counters();
  }
  void wait(int c) override { op(c, -1, "semop(-1)"); }
  void post(int c) override { op(c, +1, "semop(+1)"); }
  void remove() noexcept override {
    if (created_) ::semctl(id_, 0, IPC_RMID);
    created_ = false;
  }

 private:
  void op(int c, short delta, const char* call) {
    sembuf b{static_cast<unsigned short>(c), delta, 0};  // no SEM_UNDO
    sys::checked(call, names_[c], [&] { return ::semop(id_, &b, 1); });
  }
  void name_counters() {
    for (int i = 0; i < kCounters; ++i) {
      names_[i] = "System V semaphore set " + std::to_string(id_) + " ";
      names_[i] += counter_name(i);
    }
  }

  std::string dir_;
  key_t key_;
  int id_ = -1;
  bool created_ = false;
  std::array<std::string, kCounters> names_;
};

}  // namespace

TransportInfo shm_sysv_transport() {
  return {"shm_sysv",
          "System V shm (shmget) payload, System V semaphores (semop)",
          mailbox_caps("kernel.shmmax/shmall/shmmni size the segment, "
                       "kernel.sem the semaphore sets; every semop is a "
                       "system call"),
          [](const Config& c) {
            return make_mailbox(c, std::make_unique<SysvShmRegion>(c),
                                std::make_unique<SysvSemNotifier>(c));
          },
          [] { return std::optional<std::string>(); }};
}

}  // namespace ipcb::transports
