// bipc_mq: two Boost.Interprocess message_queues, one per direction, named
// "/<prefix>-a2b" and "/<prefix>-b2a", created with create_only and mode
// 0600, removed with message_queue::remove in teardown(). A message_queue is
// a POSIX shared memory object (a file in /dev/shm) holding a fixed ring of
// max_num_msg slots of max_msg_size bytes, guarded by a process-shared mutex
// and two condition variables; send and receive each copy the message once.
// Limits: no kernel queue limit applies (it is shared memory, bounded by the
// size of /dev/shm): max_msg_size = the message size, max_num_msg = 10 (as
// posix_mq's default depth), so a run of 1 MiB messages maps 2 x ~10 MiB.
// Space: Boost creates, truncates (sparse) and touches the object itself in
// its constructor (it writes every slot's header), so a /dev/shm too small
// would end in SIGBUS. prepare() therefore checks, before each queue is
// made, that /dev/shm has the bytes Boost will ask for (its own size
// function, statvfs), and right after it is made reserves the whole object
// (posix_fallocate through /dev/shm/<name>); either failing is an error
// naming the queue, the bytes needed and available. Residual race: another
// process filling /dev/shm between the check and Boost's constructor can
// still make that constructor fault with SIGBUS.
// Waits: block only. Boost's blocking waits do not return on signals, so we
// wait in 50 ms timed slices and poll the harness's cancel token between
// them. Boost's mutex is not robust (a holder that dies leaves it locked):
// the build defines BOOST_INTERPROCESS_ENABLE_TIMEOUT_WHEN_LOCKING, so a lock
// that cannot be taken within 1 s throws instead of hanging. Residual risk:
// a peer killed while asleep in the condition variable leaves glibc's condvar
// with a dead waiter, and a later notify can block; we therefore never touch
// a queue again once the run is cancelled.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/date_time/posix_time/posix_time_types.hpp>
#include <boost/interprocess/ipc/message_queue.hpp>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "sys/cancel.hpp"
#include "sys/checked.hpp"
#include "sys/memory.hpp"
#include "sys/space.hpp"
#include "transports/queue_common.hpp"
#include "transports/registry.hpp"

#ifndef BOOST_INTERPROCESS_ENABLE_TIMEOUT_WHEN_LOCKING
#error "build with -DBOOST_INTERPROCESS_ENABLE_TIMEOUT_WHEN_LOCKING (CMake)"
#endif

namespace ipcb::transports {
namespace {

namespace bip = boost::interprocess;
using Queue = bip::message_queue;

constexpr Queue::size_type kBipcDepth = 10;
const auto kSlice = boost::posix_time::milliseconds(50);

// Boost gives no access to its mapping: find it in /proc/self/maps by the
// shared memory file's path (read-write, as Boost maps a queue) and populate
// its page tables writable.
void prefault_mapping(const std::string& shm_name) {
  const std::string path = "/dev/shm" + shm_name;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.size() <= path.size() ||
        line.compare(line.size() - path.size(), path.size(), path) != 0)
      continue;
    std::uintptr_t lo = 0, hi = 0;
    char perms[5] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %4s", &lo, &hi, perms) != 3 ||
        perms[1] != 'w')
      continue;
    sys::prefault(reinterpret_cast<std::byte*>(lo), hi - lo);
  }
}

class BipcMqTransport final : public Transport {
 public:
  explicit BipcMqTransport(const Config& c)
      : config_(c),
        a2b_("/" + c.name_prefix + "-a2b"),
        b2a_("/" + c.name_prefix + "-b2a"),
        max_(std::max<std::size_t>(c.max_message_bytes, 1)) {}

  void prepare() override {
    out_ = create(a2b_, created_a2b_);
    in_ = create(b2a_, created_b2a_);
  }
  void connect(Role role) override {
    out_name_ = role == Role::kDriver ? a2b_ : b2a_;
    in_name_ = role == Role::kDriver ? b2a_ : a2b_;
    if (role == Role::kPeer) {
      out_ = open(out_name_);
      in_ = open(in_name_);
    }
    max_ = in_->get_max_msg_size();
    scratch_.assign(max_, std::byte{0});  // allocated and touched
    prefault_mapping(out_name_);
    prefault_mapping(in_name_);
    struct stat st {};
    const std::string file = "/dev/shm" + in_name_;
    sys::checked("stat", file, [&] { return ::stat(file.c_str(), &st); });
    shm_bytes_ = st.st_size;
  }
  void send(const std::byte* d, std::size_t n) override {
    while (n > 0) {
      const std::size_t k = std::min(n, max_);
      wait_for("message_queue::timed_send", out_name_, [&](auto until) {
        return until.is_special() ? out_->try_send(d, k, 0)
                                  : out_->timed_send(d, k, 0, until);
      });
      d += k;
      n -= k;
    }
  }
  void recv(std::byte* d, std::size_t n) override {
    while (n > 0) {
      std::byte* dst = n >= max_ ? d : scratch_.data();
      Queue::size_type r = 0;
      unsigned priority = 0;
      wait_for("message_queue::timed_receive", in_name_, [&](auto until) {
        return until.is_special()
                   ? in_->try_receive(dst, max_, r, priority)
                   : in_->timed_receive(dst, max_, r, priority, until);
      });
      if (r == 0 || r > n) throw_size_mismatch("receive", in_name_, r, n);
      if (dst != d) std::memcpy(d, dst, r);
      d += r;
      n -= r;
    }
  }
  void teardown() noexcept override {
    if (created_a2b_) Queue::remove(a2b_.c_str());
    if (created_b2a_) Queue::remove(b2a_.c_str());
    created_a2b_ = created_b2a_ = false;
  }
  std::map<std::string, std::int64_t> applied_settings() const override {
    if (!in_) return {};
    return {{"max_msg_size_bytes", in_->get_max_msg_size()},
            {"max_num_msg", in_->get_max_msg()},
            {"shm_bytes", shm_bytes_}};
  }

 private:
  // Calls op(not_a_date_time) once (try_send/try_receive: no clock read on
  // the fast path), then op(now + 50 ms) until it succeeds or the harness
  // cancels the run. Boost errors become errors naming the queue.
  template <class Op>
  void wait_for(const char* call, const std::string& name, Op&& op) {
    if (sys::cancelled()) sys::throw_cancelled(call, name);
    try {
      if (op(boost::posix_time::ptime())) return;
      while (
          !op(boost::posix_time::microsec_clock::universal_time() + kSlice)) {
        if (sys::cancelled()) sys::throw_cancelled(call, name);
      }
    } catch (const bip::interprocess_exception& e) {
      if (sys::cancelled()) sys::throw_cancelled(call, name);
      throw std::runtime_error(std::string(call) + "(" + name +
                               "): " + e.what());
    }
  }
  // Creates queue `name` with its space checked before and reserved after
  // (see the header comment); `created` is set once the name may exist.
  std::unique_ptr<Queue> create(const std::string& name, bool& created) {
    const std::string object = "bipc_mq: message_queue " + name;
    const sys::SpaceSite site = sys::dev_shm_site();
    sys::require_free_space(queue_bytes(), object, site);
    std::unique_ptr<Queue> q;
    try {
      q = std::make_unique<Queue>(bip::create_only, name.c_str(), kBipcDepth,
                                  max_, bip::permissions(0600));
    } catch (const bip::interprocess_exception& e) {
      if (e.get_error_code() == bip::already_exists_error)
        sys::throw_name_taken("message_queue(create_only)", name);
      // Any other failure may come after Boost made the object (it then
      // leaves it 1 byte long): the name is this run's alone, so teardown
      // removes it.
      created = true;
      throw std::runtime_error("message_queue(create_only)(" + name +
                               "): " + e.what());
    }
    created = true;
    sys::reserve_space_at("/dev/shm" + name, object, site);
    return q;
  }
  // The bytes Boost truncates a queue's object to: message_queue's own
  // (private) get_mem_size forwards to this public one of its header type.
  std::size_t queue_bytes() const {
    return bip::ipcdetail::mq_hdr_t<Queue::void_pointer>::get_mem_size(
        max_, kBipcDepth);
  }
  static std::unique_ptr<Queue> open(const std::string& name) {
    try {
      return std::make_unique<Queue>(bip::open_only, name.c_str());
    } catch (const bip::interprocess_exception& e) {
      throw std::runtime_error("message_queue(open_only)(" + name +
                               "): " + e.what());
    }
  }

  Config config_;
  std::string a2b_, b2a_, out_name_, in_name_;
  std::size_t max_;
  bool created_a2b_ = false, created_b2a_ = false;
  std::unique_ptr<Queue> out_, in_;
  std::vector<std::byte> scratch_;
  std::int64_t shm_bytes_ = 0;  // size of one queue's shared memory
};

}  // namespace

TransportInfo bipc_mq_transport() {
  Capabilities caps;
  caps.preserves_boundaries = true;
  caps.limits =
      "shared memory in /dev/shm (no kernel queue limit): 10 slots of the "
      "message size per direction; waits are 50 ms timed slices";
  caps.fanin_max_bytes = kAnySize;  // a slot holds a whole message
  return {"bipc_mq",
          "two Boost.Interprocess message_queues (shared memory, mutex + "
          "condition variables), one per direction",
          caps,
          [](const Config& c) { return std::make_unique<BipcMqTransport>(c); },
          [] {
            if (::access("/dev/shm", W_OK) != 0)
              return std::optional<std::string>("/dev/shm is not writable");
            return std::optional<std::string>();
          }};
}

}  // namespace ipcb::transports
