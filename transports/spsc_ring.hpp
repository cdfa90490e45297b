// SpscRing: a lock-free single-producer/single-consumer byte ring living in
// caller-provided memory: a shared mapping between two processes (shm_ring)
// or plain memory between two threads of one process. It knows nothing about
// processes.
//
// Contract. SpscRing::init() lays out an empty ring once, in
// region_bytes(capacity) bytes of 64-byte aligned memory. Each side then
// attaches its own SpscRing view to that memory: exactly one view calls
// write() (the producer), exactly one other view calls read() (the
// consumer). write(p, n) returns once all n bytes are in the ring; read(p, n)
// returns once n bytes have been copied out, in order. There are no message
// boundaries: the reader must know how many bytes it expects. A message
// larger than the free space is streamed through the ring in chunks, so any
// n works whatever the capacity.
//
// Waiting, chosen per view (Wait from transport.hpp):
//   kSpin   busy-polls the other side's index with a pause instruction and
//           no system call at all; polls sys::cancelled() every
//           kSpinsPerCancelCheck rounds.
//   kBlock  sleeps in FUTEX_WAIT only when the ring is empty (reader) or
//           full (writer: less room than the rest of its message and than
//           half the ring); the other side calls FUTEX_WAKE only when a
//           sleeper has announced itself, so the fast path makes no system
//           call. Shared (not FUTEX_PRIVATE_FLAG) futexes: the words may be
//           shared between processes. Sleeps are sliced (kWaitSliceNs,
//           100 ms) as a safety net.
// Both end with a Cancelled exception once sys::cancelled() is set;
// a blocked thread is interrupted by a signal without SA_RESTART (EINTR), as
// the harness's watchdog does with SIGUSR1.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "sys/cancel.hpp"
#include "sys/checked.hpp"
#include "transports/futex_wait.hpp"
#include "transports/ring_copy.hpp"
#include "transports/transport.hpp"

namespace ipcb::transports {

// The ring's indices live in memory mapped by two processes: the atomics must
// work by their bytes alone, with no lock hidden in one process's address
// space. Lock-free atomics are address-free on every Linux ABI (the standard
// recommends it, [atomics.lockfree]); a lock-based fallback would not be.
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
// A futex is a plain aligned 32-bit word: the atomic must be exactly that.
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));

// The shared part of one ring. Each index sits on its own cache line: if the
// producer's head and the consumer's tail shared a line, every store by one
// side would invalidate the line in the other core's cache although neither
// touches the other's variable (false sharing), and the line would bounce
// between the cores on every message. The futex words get lines of their own
// too, so that reading them (the writer checks for a sleeping reader after
// each publish) hits a line that is only written when somebody sleeps.
struct SpscRingHeader {
  static constexpr std::uint64_t kMagic = 0x676e697263707369;  // "ipcpring"
  alignas(64) std::uint64_t magic;  // set by init(), read-only afterwards
  std::uint64_t capacity;
  // Bytes ever written (producer) / read (consumer). Never wrap: position in
  // the data area is index & (capacity - 1); head - tail = bytes in the ring.
  alignas(64) std::atomic<std::uint64_t> head;
  alignas(64) std::atomic<std::uint64_t> tail;
  // Non-zero while the consumer (data_waiter: 1) / producer (space_waiter:
  // the free bytes it waits for) has announced that it is going to sleep, or
  // sleeps, on that word.
  alignas(64) std::atomic<std::uint32_t> data_waiter;
  alignas(64) std::atomic<std::uint32_t> space_waiter;
};
static_assert(std::is_standard_layout_v<SpscRingHeader>);
static_assert(sizeof(SpscRingHeader) % 64 == 0);

// alignas(64): a view's own indices (head_, cached_tail_, ...) change on
// every message; two views used by two threads of one process (inproc) must
// not share a cache line, or each store would invalidate the other core's
// copy (false sharing between the views themselves).
class alignas(64) SpscRing {
 public:
  // Capacity policy: a power of two >= 2 x the largest message (a whole
  // message plus room for the next one to be written while the previous is
  // read), at least 1 MiB, at most 16 MiB per ring (bigger messages simply
  // stream through in chunks; memory stays bounded). Why 1 MiB and not less:
  // a thread woken by FUTEX_WAKE runs again only microseconds later (10-30 us
  // on the 2-vCPU reference VM, whose idle vCPU must be woken as well). With
  // block, the queued data in front of the consumer must cover that delay
  // while the producer wakes up: with 64 KiB messages a 128 KiB ring streamed
  // 3 GB/s there (below a Unix socket), 512 KiB-1 MiB ~17 GB/s, as fast as
  // spin. Spin does not care; latency does not either.
  static constexpr std::size_t kMinCapacity = std::size_t{1} << 20;
  static constexpr std::size_t kMaxCapacity = std::size_t{16} << 20;
  // The producer publishes its head at least every 16 KiB. Measured (1 MiB
  // pingpong, spin): 72 us round trip publishing whole messages, 37 us in
  // 16 KiB steps; no cost to small messages or to stream throughput.
  static constexpr std::size_t kPublishBytes = std::size_t{16} << 10;
  // block: wake a sleeping consumer after the first 16 KiB only when at least
  // this much is still to be copied in (1 MiB pingpong across CPUs: 120 us
  // waking at the end, 60-80 us early); smaller messages wake it once, at
  // the end (64 KiB pingpong on one CPU: 25 us with a wake-up per 16 KiB,
  // 6.6 us with one).
  static constexpr std::size_t kEarlyWakeBytes = std::size_t{256} << 10;
  static constexpr std::int64_t kWaitSliceNs = 100'000'000;  // 100 ms

  static std::size_t capacity_for(std::size_t max_message_bytes) {
    std::size_t c = kMinCapacity;
    while (c < kMaxCapacity && c < 2 * max_message_bytes) c *= 2;
    return c;
  }
  // Bytes of memory one ring of this capacity needs (header + data), rounded
  // up to whole 4 KiB pages so that rings can be laid out back to back.
  static std::size_t region_bytes(std::size_t capacity) {
    return (sizeof(SpscRingHeader) + capacity + 4095) / 4096 * 4096;
  }
  // Lays out an empty ring at mem (64-byte aligned, region_bytes(capacity)
  // long). capacity: a power of two >= 64. Call once, before any view exists.
  static void init(void* mem, std::size_t capacity) {
    if (capacity < 64 || (capacity & (capacity - 1)) != 0)
      throw std::invalid_argument("SpscRing: capacity " +
                                  std::to_string(capacity) +
                                  " is not a power of two >= 64");
    if (reinterpret_cast<std::uintptr_t>(mem) % 64 != 0)
      throw std::invalid_argument("SpscRing: memory not 64-byte aligned");
    auto* h = new (mem) SpscRingHeader{};
    h->capacity = capacity;
    h->magic = SpscRingHeader::kMagic;
  }

  // A view on a ring that init() laid out in [mem, mem + bytes). name is used
  // in error messages ("shm_ring a->b"). wait_slice_ns bounds one FUTEX_WAIT
  // (tests make it long, so that only a real wake-up ends a sleep).
  SpscRing(void* mem, std::size_t bytes, Wait wait, std::string name,
           std::int64_t wait_slice_ns = kWaitSliceNs)
      : h_(static_cast<SpscRingHeader*>(mem)),
        data_(static_cast<std::byte*>(mem) + sizeof(SpscRingHeader)),
        wait_(wait),
        name_(std::move(name)),
        slice_{static_cast<time_t>(wait_slice_ns / 1'000'000'000),
               static_cast<long>(wait_slice_ns % 1'000'000'000)} {
    if (bytes < sizeof(SpscRingHeader) || h_->magic != SpscRingHeader::kMagic ||
        region_bytes(h_->capacity) > bytes)
      throw std::runtime_error(name_ + ": not an initialised ring");
    cap_ = h_->capacity;
    head_ = cached_head_ = h_->head.load(std::memory_order_acquire);
    tail_ = cached_tail_ = h_->tail.load(std::memory_order_acquire);
  }

  std::size_t capacity() const { return cap_; }
  // For tests and diagnostics: the consumer announced that it sleeps.
  bool consumer_sleeping() const {
    return h_->data_waiter.load(std::memory_order_acquire) != 0;
  }

  // Producer only.
  void write(const std::byte* src, std::size_t n) {
    while (n > 0) {
      // cached_tail_ is a private copy of the consumer's index: re-reading
      // the shared tail on every write would pull its cache line over from
      // the consumer's core each time; refresh it only when it no longer
      // shows enough room.
      std::size_t room = cap_ - (head_ - cached_tail_);
      if (room < n) {
        cached_tail_ = h_->tail.load(std::memory_order_acquire);
        room = cap_ - (head_ - cached_tail_);
        // Wait until the rest of the message fits, or half the ring is free:
        // copies and index hand-overs stay large, and a sleeping producer is
        // woken once per half ring, not for every few bytes the consumer
        // frees (each wake-up costs microseconds).
        const std::size_t want = std::min(n, cap_ / 2);
        if (room < want) {
          if (wait_ == Wait::kBlock) wake_consumer();  // before we sleep
          wait_for_space(want);
          continue;
        }
      }
      // Publish at least every kPublishBytes: the consumer starts copying a
      // large message out while the rest is still being copied in.
      const std::size_t k = std::min({n, room, kPublishBytes});
      copy_in(head_, src, k);
      head_ += k;
      // release: the bytes copied above are visible before the new head.
      h_->head.store(head_, std::memory_order_release);
      src += k;
      n -= k;
      // block: a sleeping consumer is woken early only if so much is still to
      // come that its wake-up hides behind our copying; else once, at the
      // end (on a shared CPU every wake-up may switch to the consumer).
      if (wait_ == Wait::kBlock && n >= kEarlyWakeBytes) wake_consumer();
    }
    if (wait_ == Wait::kBlock) wake_consumer();
  }

  // Consumer only.
  void read(std::byte* dst, std::size_t n) {
    while (n > 0) {
      std::size_t avail = cached_head_ - tail_;
      if (avail < n) {
        cached_head_ = h_->head.load(std::memory_order_acquire);
        avail = cached_head_ - tail_;
        if (avail == 0) {
          wait_for_data();
          continue;
        }
      }
      const std::size_t k = std::min(n, avail);
      copy_out(tail_, dst, k);
      tail_ += k;
      // release: our reads of the slots are done before the producer may
      // reuse them (it loads tail with acquire).
      h_->tail.store(tail_, std::memory_order_release);
      if (wait_ == Wait::kBlock) wake_producer();
      dst += k;
      n -= k;
    }
  }

 private:
  void copy_in(std::uint64_t pos, const std::byte* src, std::size_t k) {
    ring_copy_in(data_, cap_, pos, src, k);
  }
  void copy_out(std::uint64_t pos, std::byte* dst, std::size_t k) const {
    ring_copy_out(data_, cap_, pos, dst, k);
  }

  // Returns once head moved past tail_ (cached_head_ updated).
  void wait_for_data() {
    wait_until(h_->data_waiter, 1, [&] {
      cached_head_ = h_->head.load(std::memory_order_acquire);
      return cached_head_ != tail_;
    });
  }
  // Returns once want (<= capacity / 2) bytes are free (cached_tail_ updated).
  void wait_for_space(std::size_t want) {
    wait_until(h_->space_waiter, static_cast<std::uint32_t>(want), [&] {
      cached_tail_ = h_->tail.load(std::memory_order_acquire);
      return cap_ - (head_ - cached_tail_) >= want;
    });
  }

  // Waits until ready(): spin_wait or futex_wait_until (futex_wait.hpp).
  template <class Ready>
  void wait_until(std::atomic<std::uint32_t>& waiter, std::uint32_t announce,
                  Ready ready) {
    if (wait_ == Wait::kSpin) return spin_wait(name_, ready);
    futex_wait_until(waiter, announce, slice_, name_, ready);
  }

  // After publishing an index in block mode, wake the other side only if it
  // announced that it sleeps (the fences pair with the one in wait_until):
  // no system call on the fast path.
  void wake_consumer() {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (h_->data_waiter.load(std::memory_order_relaxed) != 0)
      wake_sleeper(h_->data_waiter);
  }
  // The producer sleeps until `want` bytes are free. A stale head (its last
  // publish not yet visible here) only overstates the free space: at worst a
  // wake-up too early, after which the producer re-checks and sleeps again.
  void wake_producer() {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    const std::uint32_t want = h_->space_waiter.load(std::memory_order_relaxed);
    if (want != 0 &&
        cap_ - (h_->head.load(std::memory_order_relaxed) - tail_) >= want)
      wake_sleeper(h_->space_waiter);
  }
  void wake_sleeper(std::atomic<std::uint32_t>& waiter) {
    futex_wake_sleeper(waiter, name_);
  }

  SpscRingHeader* h_;
  std::byte* data_;
  Wait wait_;
  std::string name_;
  timespec slice_;
  std::size_t cap_ = 0;
  // Producer's state: its own index and its copy of the consumer's.
  std::uint64_t head_ = 0, cached_tail_ = 0;
  // Consumer's state: its own index and its copy of the producer's.
  std::uint64_t tail_ = 0, cached_head_ = 0;
};

}  // namespace ipcb::transports
