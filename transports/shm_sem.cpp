// shm_sem: POSIX shared memory (shm_open "/<prefix>-shm", O_CREAT|O_EXCL,
// mode 0600, ftruncate, mmap MAP_SHARED; it lives in the tmpfs /dev/shm)
// carrying the payload, with four unnamed process-shared POSIX semaphores
// (sem_init pshared=1) inside the region as the full/empty counters of the
// mailbox (see mailbox.hpp). glibc's sem_wait/sem_post are an atomic
// counter plus a futex: no system call while the counter is positive, a
// FUTEX_WAIT/FUTEX_WAKE pair when a side must sleep. sem_wait is never
// restarted after a signal handler, so the harness's SIGUSR1 ends it (EINTR).
// Limits: the size of /dev/shm (tmpfs, half the RAM by default; Docker's
// default is 64 MiB): prepare() reserves the whole region with
// posix_fallocate, so a /dev/shm too small fails with the bytes needed and
// available instead of SIGBUS at the first touch of a page; message
// size any (the region holds 2..16 slots of max_message_bytes per
// direction); SEM_VALUE_MAX far above the slot count.
// The region and the semaphore notifier are reused by shm_mutex (region) and
// mmap_file (notifier).
#include <fcntl.h>
#include <semaphore.h>
#include <sys/mman.h>

#include "sys/checked.hpp"
#include "sys/fd.hpp"
#include "sys/space.hpp"
#include "transports/mailbox.hpp"
#include "transports/registry.hpp"

namespace ipcb::transports {
namespace {

class PosixShmRegion final : public FdRegion {
 public:
  PosixShmRegion(const Config& c, const char* transport)
      : name_(kernel_name(c, "-shm")), transport_(transport) {
    what_ = "POSIX shm " + name_;
  }
  void create(std::size_t bytes) override {
    sys::Fd fd(sys::create_exclusive("shm_open", name_, [&] {
      return ::shm_open(name_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
                        0600);
    }));
    created_ = true;
    map_new(std::move(fd), bytes, transport_, sys::dev_shm_site());
  }
  void attach(const nlohmann::json&, std::size_t bytes) override {
    map_existing(
        sys::Fd(sys::checked(
            "shm_open", name_,
            [&] { return ::shm_open(name_.c_str(), O_RDWR | O_CLOEXEC, 0); })),
        bytes);
  }
  void remove() noexcept override {
    if (created_) ::shm_unlink(name_.c_str());
    created_ = false;
  }

 private:
  std::string name_;
  std::string transport_;
  bool created_ = false;
};

// One semaphore per cache line, so that the two directions do not share one.
struct alignas(64) PaddedSem {
  sem_t sem;
};

class PosixSemNotifier final : public Notifier {
 public:
  PosixSemNotifier() {
    for (int i = 0; i < kCounters; ++i) {
      names_[i] = "semaphore ";
      names_[i] += counter_name(i);
    }
  }
  std::size_t shared_bytes() const override {
    return kCounters * sizeof(PaddedSem);
  }
  void create(std::byte* shared, const Counts& initial) override {
    sems_ = reinterpret_cast<PaddedSem*>(shared);
    for (int i = 0; i < kCounters; ++i) {
      sys::checked("sem_init", names_[i],
                   [&] { return ::sem_init(&sems_[i].sem, 1, initial[i]); });
    }
  }
  void attach(const nlohmann::json&, std::byte* shared,
              const Counts&) override {
    sems_ = reinterpret_cast<PaddedSem*>(shared);
  }
  void wait(int c) override {
    sys::checked("sem_wait", names_[c],
                 [&] { return ::sem_wait(&sems_[c].sem); });
  }
  void post(int c) override {
    sys::checked("sem_post", names_[c],
                 [&] { return ::sem_post(&sems_[c].sem); });
  }

 private:
  PaddedSem* sems_ = nullptr;
  std::array<std::string, kCounters> names_;
};

}  // namespace

std::unique_ptr<Region> posix_shm_region(const Config& config,
                                         const char* transport) {
  return std::make_unique<PosixShmRegion>(config, transport);
}

std::unique_ptr<Notifier> posix_sem_notifier() {
  return std::make_unique<PosixSemNotifier>();
}

TransportInfo shm_sem_transport() {
  return {"shm_sem",
          "POSIX shm (shm_open) payload, process-shared POSIX semaphores "
          "(sem_init) in it",
          mailbox_caps("/dev/shm (tmpfs) size caps the region"),
          [](const Config& c) {
            return make_mailbox(c, posix_shm_region(c, "shm_sem"),
                                posix_sem_notifier());
          },
          [] { return std::optional<std::string>(); }};
}

}  // namespace ipcb::transports
