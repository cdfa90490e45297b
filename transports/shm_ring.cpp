// shm_ring: the performance reference (and inproc, the same rings between
// two threads of one process). Two SpscRing byte rings (a->b, b->a;
// see spsc_ring.hpp) in one shared memory region; send/recv are memcpy in and
// out of the ring plus one release store, no system call on the fast path.
// waits: spin (busy-poll, burns a CPU on each side) and block (futex sleep
// only when a ring is empty/full).
//
// The region is a memfd (sys::create_sealed_memfd), inherited by the peer
// across exec and mapped MAP_SHARED by both sides: it has no name in
// /dev/shm, so nothing can be left behind even if the driver itself is
// killed, and no other process can open it by name (only through
// /proc/<pid>/fd, which needs ptrace rights over us). Sealed against
// shrinking/growing so a mapping can never fault with SIGBUS, and its
// pages reserved (posix_fallocate) in prepare(), so that memory too short
// is an error there rather than a SIGBUS at a later touch. Pre-faulted
// (sys::prefault: page tables present and writable) in connect().
//
// Limits: ring capacity per direction is a power of two >= max(2 x the
// message, 1 MiB), at most 16 MiB (spsc_ring.hpp says why); larger
// messages stream through in chunks. The memory counts against RAM (and the
// memory cgroup), not against the size of /dev/shm; no kernel knob applies.
// Capacity: default, the policy above (ipcbench's own choice, 1-16 MiB);
// equal, each ring exactly the budget (a power of two: rounded down).
// With spin, both sides on one CPU (--cpus=same) only progress when the
// scheduler preempts the spinner: expect time slices, not nanoseconds.
//
// Fan-out (Config::consumers > 0): one BcastRing (bcast_ring.hpp) instead,
// the driver writing and each consumer reading with a read index of its
// own; the writer waits for the slowest consumer (lossless). Sized as one
// ring above. The floor of the fan-out scenario: no system call on the fast
// path, one copy in and one copy out per consumer.
#include <fcntl.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

#include "sys/checked.hpp"
#include "sys/fd.hpp"
#include "sys/memory.hpp"
#include "transports/bcast_ring.hpp"
#include "transports/capacity.hpp"
#include "transports/registry.hpp"
#include "transports/spsc_ring.hpp"

namespace ipcb::transports {
namespace {

// The ring size per direction: the budget of --capacity=equal rounded down
// to a power of two, else the ring's own policy.
std::size_t ring_capacity(const Config& c) {
  if (c.capacity_bytes == 0) return SpscRing::capacity_for(c.max_message_bytes);
  std::size_t cap = 64;
  while (cap * 2 <= c.capacity_bytes) cap *= 2;
  return cap;
}

class ShmRingTransport final : public Transport {
 public:
  ShmRingTransport(const Config& c, bool in_process)
      : in_process_(in_process),
        config_(c),
        capacity_(ring_capacity(c)),
        ring_bytes_(SpscRing::region_bytes(capacity_)),
        // Two SPSC rings, or one broadcast ring with a slot per consumer.
        region_bytes_(c.consumers > 0 ? BcastRing::region_bytes(
                                            capacity_, static_cast<std::size_t>(
                                                           c.consumers))
                                      : 2 * ring_bytes_) {
    what_ = "shm_ring memfd ";
    what_ += c.name_prefix;
    what_ += "-ring";
  }

  void prepare() override {
    std::string name = config_.name_prefix;
    name += "-ring";  // shows in /proc/<pid>/fd only; not a global name
    fd_ = sys::create_sealed_memfd(name, region_bytes_, what_,
                                   in_process_ ? "inproc" : "shm_ring");
    map_ = sys::Mapping(fd_.get(), region_bytes_, what_);
    if (config_.consumers > 0) {
      BcastRing::init(map_.get(), capacity_,
                      static_cast<std::size_t>(config_.consumers));
      return;
    }
    SpscRing::init(map_.get(), capacity_);
    SpscRing::init(map_.get() + ring_bytes_, capacity_);
  }
  std::vector<int> inherited_fds() const override { return {fd_.get()}; }
  nlohmann::json handoff() const override {
    int fd = fd_.get();
    // A peer thread (inproc) shares this process's descriptor table: give it
    // a descriptor of its own, as exec gives a peer process its copy.
    if (in_process_) {
      fd = sys::checked("fcntl(F_DUPFD_CLOEXEC)", what_,
                        [&] { return ::fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0); });
    }
    return {{"fd", fd}, {"ring_capacity_bytes", capacity_}};
  }
  void adopt(const nlohmann::json& h) override {
    fd_.reset(h.at("fd").get<int>());
    if (h.at("ring_capacity_bytes").get<std::size_t>() != capacity_)
      throw std::runtime_error(what_ +
                               ": driver and peer disagree on the "
                               "ring capacity");
  }
  void connect(Role role) override {
    if (!map_) map_ = sys::Mapping(fd_.get(), region_bytes_, what_);
    fd_.reset();  // the mapping keeps the memory; the peer has its own fd
    sys::prefault(map_.get(), region_bytes_);
    if (config_.consumers > 0) return connect_fanout(role);
    std::byte* a2b = map_.get();
    std::byte* b2a = map_.get() + ring_bytes_;
    const bool driver = role == Role::kDriver;
    out_.emplace(driver ? a2b : b2a, ring_bytes_, config_.wait,
                 driver ? "shm_ring a->b" : "shm_ring b->a");
    in_.emplace(driver ? b2a : a2b, ring_bytes_, config_.wait,
                driver ? "shm_ring b->a" : "shm_ring a->b");
  }
  void send(const std::byte* d, std::size_t n) override {
    if (bcast_) return bcast_->write(d, n);
    out_->write(d, n);
  }
  void recv(std::byte* d, std::size_t n) override {
    if (bcast_) return bcast_->read(d, n);
    in_->read(d, n);
  }
  void teardown() noexcept override { fd_.reset(); }  // nothing named
  Capacity capacity() const override {
    if (bcast_)
      return read_capacity(static_cast<std::int64_t>(bcast_->capacity()),
                           config_.capacity_bytes,
                           "broadcast ring header (one ring, every consumer)",
                           "a ring's size is a power of two", "");
    // Read from the ring itself (its header), as both sides see it.
    const std::int64_t applied = out_ ? static_cast<std::int64_t>(std::min(
                                            out_->capacity(), in_->capacity()))
                                      : static_cast<std::int64_t>(capacity_);
    return read_capacity(applied, config_.capacity_bytes,
                         "ring header, smaller of the two rings",
                         "a ring's size is a power of two", "");
  }
  std::map<std::string, std::int64_t> applied_settings() const override {
    return {{"ring_capacity_bytes", static_cast<std::int64_t>(capacity_)},
            {"region_bytes", static_cast<std::int64_t>(region_bytes_)}};
  }

 private:
  // The driver writes and waits until every consumer has joined; each
  // consumer joins with a read index of its own.
  void connect_fanout(Role role) {
    bcast_.emplace(map_.get(), region_bytes_, config_.wait,
                   "shm_ring broadcast");
    if (role == Role::kPeer) return bcast_->join();
    while (bcast_->joined() < static_cast<std::size_t>(config_.consumers)) {
      if (sys::cancelled())
        sys::throw_cancelled("waiting for consumers to join", what_);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }

  bool in_process_;
  Config config_;
  std::size_t capacity_;
  std::size_t ring_bytes_;
  std::size_t region_bytes_;
  std::string what_;
  sys::Fd fd_;
  sys::Mapping map_;
  std::optional<SpscRing> out_, in_;
  std::optional<BcastRing> bcast_;
};

}  // namespace

TransportInfo shm_ring_transport() {
  Capabilities caps;
  caps.preserves_boundaries = false;
  caps.waits = {Wait::kSpin, Wait::kBlock};
  caps.fanout = Fanout::kLossless;  // a broadcast ring (bcast_ring.hpp)
  caps.limits =
      "ring per direction: power of two >= max(2 x message, 1 MiB), at most "
      "16 MiB (bigger messages stream in chunks); memfd memory, no /dev/shm "
      "entry, no kernel knob";
  return {"shm_ring",
          "lock-free SPSC byte rings in a shared memfd (reference: no syscall "
          "on the fast path)",
          caps,
          [](const Config& c) {
            return std::make_unique<ShmRingTransport>(c, false);
          },
          [] { return std::optional<std::string>(); }};
}

// inproc: the same two rings between two threads of one process, pinned
// like the two processes would be: what the hand-off costs without a process
// boundary (no separate address space, no exec'd peer).
TransportInfo inproc_transport() {
  TransportInfo info = shm_ring_transport();
  info.name = "inproc";
  info.description =
      "baseline: shm_ring's rings between two threads of one process (no "
      "process boundary)";
  info.caps.in_process = true;
  info.caps.fanout = Fanout::kNone;
  info.create = [](const Config& c) {
    return std::make_unique<ShmRingTransport>(c, true);
  };
  return info;
}

}  // namespace ipcb::transports
