// Shared code of the "payload region + notification" transports: shm_sem,
// shm_sysv, shm_mutex, mmap_file, bipc_shm, eventfd and signal.
//
// Contract. A mailbox transport is one shared Region (how the memory is
// created, attached and removed) plus one Notifier (how one side blocks until
// the other has filled or emptied a slot). The region holds a header, the
// notifier's own shared state (if it keeps any there) and, per direction
// (a->b: driver to peer, b->a: peer to driver), a ring of `slots` message
// slots, each a length word and max_message_bytes of payload (cache-line
// aligned). The hand-off is the classic bounded buffer over four counting
// semaphores, "full" (starts at 0) and "empty" (starts at `slots`) per
// direction:
//   send: wait(empty) -> copy into slot i   -> post(full);  i = (i+1) % slots
//   recv: wait(full)  -> copy out of slot j -> post(empty); j = (j+1) % slots
// Each direction has one producer and one consumer, and each keeps its own
// slot index, so the notifier's counters are the only shared state that
// changes. The notifier provides the ordering (the transport adds
// release/acquire fences around post/wait). A notifier's wait ends with
// Cancelled when the harness cancels: through checked() (EINTR + cancel) or,
// for waits that a signal does not interrupt, timed slices that poll
// cancelled(). The message is copied once on each side: this measures the
// notification mechanism plus two memcpy, like any copy-in/copy-out queue.
#pragma once

#include <pthread.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "sys/fd.hpp"
#include "sys/memory.hpp"
#include "sys/space.hpp"
#include "transports/transport.hpp"

namespace ipcb::transports {

using Settings = std::map<std::string, std::int64_t>;

// The four counters, numbered as used by Notifier::wait/post.
enum Counter : int { kFullA2B = 0, kEmptyA2B = 1, kFullB2A = 2, kEmptyB2A = 3 };
inline constexpr int kCounters = 4;
using Counts = std::array<std::uint32_t, kCounters>;
const char* counter_name(int counter);  // "full a->b", "empty b->a", ...

// Slots per direction for a message size: as many as fit in 4 MiB, at least
// 2 (so that a sender can fill one slot while the other is being read) and
// at most 16 (deeper rings only add memory: pingpong uses one slot, stream
// saturates with a few).
std::size_t mailbox_slots(std::size_t max_message_bytes);
// Under --capacity=equal: whole slots of payload within the budget, at
// least 1 and at most `max_slots` (the notifier's limit).
std::size_t mailbox_slots(std::size_t max_message_bytes,
                          std::size_t capacity_bytes, std::size_t max_slots);

// How the shared memory is created, attached and removed.
class Region {
 public:
  virtual ~Region() = default;  // unmaps/detaches
  // Driver, prepare(): create the object exclusively (mode 0600), `bytes`
  // long, zero-filled, and map it.
  virtual void create(std::size_t bytes) = 0;
  // Peer: map the object the driver created (`bytes` long).
  virtual void attach(const nlohmann::json& handoff, std::size_t bytes) = 0;
  virtual std::vector<int> inherited_fds() const { return {}; }
  virtual nlohmann::json handoff() const { return nlohmann::json::object(); }
  // Driver: remove the name/id of what create() made. Idempotent, noexcept;
  // never removes an object this run did not create.
  virtual void remove() noexcept = 0;
  virtual Settings settings() const { return {}; }
  std::byte* base() const { return base_; }
  const std::string& what() const { return what_; }

 protected:
  std::byte* base_ = nullptr;
  std::string what_;  // names the object in errors: "POSIX shm /ipcb_..."
};

// A Region mapped from a descriptor: POSIX shm, memfd, regular file.
class FdRegion : public Region {
 protected:
  // ftruncate to `bytes` (the kernel zero-fills), reserve every block in
  // `site` (sys::size_and_reserve: a file system too small is an error
  // naming `transport` and what_, never a SIGBUS later), then map_existing.
  void map_new(sys::Fd fd, std::size_t bytes, const std::string& transport,
               const sys::SpaceSite& site);
  // Checks the object is exactly `bytes` long, then mmap MAP_SHARED.
  void map_existing(sys::Fd fd, std::size_t bytes);
  sys::Fd fd_;
  sys::Mapping map_;  // unmapped before fd_ is closed
};

// How one side tells the other that a slot was filled or emptied: four
// counting semaphores (see Counter).
class Notifier {
 public:
  virtual ~Notifier() = default;
  // Bytes of state this notifier keeps inside the region (0: none).
  virtual std::size_t shared_bytes() const { return 0; }
  // Driver, prepare(): make the counters, counter i starting at initial[i].
  // `shared` is shared_bytes() of zeroed, 64-byte aligned region memory.
  virtual void create(std::byte* shared, const Counts& initial) = 0;
  virtual std::vector<int> inherited_fds() const { return {}; }
  virtual nlohmann::json handoff() const { return nlohmann::json::object(); }
  // Peer: take over what create() made.
  virtual void attach(const nlohmann::json& handoff, std::byte* shared,
                      const Counts& initial) = 0;
  // Both sides, from connect(), on the thread that will send and receive.
  virtual void connect(Role role) { (void)role; }
  // Blocks until `counter` > 0, then decrements it; throws Cancelled when
  // the harness cancels the run.
  virtual void wait(int counter) = 0;
  virtual void post(int counter) = 0;
  // Driver: remove kernel objects, restore process state. Idempotent.
  virtual void remove() noexcept {}
  virtual Settings settings() const { return {}; }
  // The most slots per direction its counters can count (--capacity=equal),
  // and what sets that limit.
  virtual std::size_t max_slots() const { return std::size_t{1} << 20; }
  virtual std::string slots_limit() const {
    return "at most 1048576 slots per direction (ipcbench's bound)";
  }
};

// The Transport over a Region and a Notifier.
std::unique_ptr<Transport> make_mailbox(const Config& config,
                                        std::unique_ptr<Region> region,
                                        std::unique_ptr<Notifier> notifier);

// Capabilities of a mailbox transport: keeps message boundaries, any size
// (the region is sized from max_message_bytes), plus its own limits.
Capabilities mailbox_caps(const std::string& limits,
                          std::vector<Wait> waits = {Wait::kBlock});

// "/" + name_prefix + suffix: the name of a kernel-named object.
std::string kernel_name(const Config& config, const char* suffix);

// Building blocks used by more than one transport.
// POSIX shared memory "/<prefix>-shm" of transport `transport` (defined in
// shm_sem.cpp).
std::unique_ptr<Region> posix_shm_region(const Config& config,
                                         const char* transport);
// Unnamed process-shared POSIX semaphores in the region (shm_sem.cpp).
std::unique_ptr<Notifier> posix_sem_notifier();
// memfd_create region of `transport`, inherited by the peer (eventfd.cpp).
std::unique_ptr<Region> memfd_region(const Config& config,
                                     const char* transport);
// Robust process-shared mutex + condition variable per counter
// (shm_mutex.cpp). Its shared state is kCounters RobustCounter, in order
// (declared here so that tests can make an owner die holding the mutex).
struct alignas(64) RobustCounter {
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  std::uint32_t value;
};
std::unique_ptr<Notifier> robust_mutex_notifier();

}  // namespace ipcb::transports
