// BcastRing: a lock-free broadcast byte ring, one writer and a fixed number
// of readers, each reader with a read index of its own, living in
// caller-provided shared memory (shm_ring's fan-out mode). Every reader
// reads every byte; the writer never overwrites bytes that the slowest
// reader has not read yet (lossless, with backpressure).
//
// Contract. init() lays out an empty ring for `readers` readers once, in
// region_bytes(capacity, readers) bytes of 64-byte aligned memory. Each
// reader process attaches a view and calls join(), which hands it the next
// reader slot (throws when every slot is taken); the writer's view calls
// joined() to see how many have. write(p, n) returns once all n bytes are
// in the ring; read(p, n) once n bytes have been copied out, in order. No
// message boundaries; a message larger than the ring streams through in
// chunks. Waiting as SpscRing (spin, or futex sleep only when empty/full;
// futex_wait.hpp), with a futex word per reader, so that readers never
// clear each other's announcement: the writer checks every reader's word
// after it publishes (one load per reader, on that reader's own cache
// line), and each reader checks the writer's after it frees space.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include "transports/futex_wait.hpp"
#include "transports/ring_copy.hpp"
#include "transports/transport.hpp"

namespace ipcb::transports {

struct BcastRingHeader {
  static constexpr std::uint64_t kMagic = 0x74736163626370;  // "pcbcast"
  alignas(64) std::uint64_t magic;
  std::uint64_t capacity;
  std::uint64_t readers;
  alignas(64) std::atomic<std::uint64_t> head;  // bytes ever written
  alignas(64) std::atomic<std::uint32_t> joined;
  alignas(64) std::atomic<std::uint32_t> space_waiter;  // the bytes wanted
};
// One per reader, each on cache lines of its own.
struct BcastReaderSlot {
  alignas(64) std::atomic<std::uint64_t> tail;  // bytes this reader read
  alignas(64) std::atomic<std::uint32_t> data_waiter;
};

class BcastRing {
 public:
  static constexpr std::int64_t kWaitSliceNs = 100'000'000;  // 100 ms

  static std::size_t region_bytes(std::size_t capacity, std::size_t readers) {
    return (sizeof(BcastRingHeader) + readers * sizeof(BcastReaderSlot) +
            capacity + 4095) /
           4096 * 4096;
  }
  // capacity: a power of two >= 64; readers >= 1.
  static void init(void* mem, std::size_t capacity, std::size_t readers) {
    if (capacity < 64 || (capacity & (capacity - 1)) != 0 || readers < 1)
      throw std::invalid_argument("BcastRing: capacity " +
                                  std::to_string(capacity) +
                                  " is not a power of two >= 64, or no reader");
    auto* h = new (mem) BcastRingHeader{};
    auto* slots = reinterpret_cast<BcastReaderSlot*>(h + 1);
    for (std::size_t i = 0; i < readers; ++i) new (slots + i) BcastReaderSlot{};
    h->capacity = capacity;
    h->readers = readers;
    h->magic = BcastRingHeader::kMagic;
  }

  BcastRing(void* mem, std::size_t bytes, Wait wait, std::string name)
      : h_(static_cast<BcastRingHeader*>(mem)),
        slots_(reinterpret_cast<BcastReaderSlot*>(h_ + 1)),
        wait_(wait),
        name_(std::move(name)) {
    if (bytes < sizeof(BcastRingHeader) ||
        h_->magic != BcastRingHeader::kMagic ||
        region_bytes(h_->capacity, h_->readers) > bytes)
      throw std::runtime_error(name_ + ": not an initialised broadcast ring");
    cap_ = h_->capacity;
    readers_ = h_->readers;
    data_ = reinterpret_cast<std::byte*>(slots_ + readers_);
    head_ = h_->head.load(std::memory_order_acquire);
  }

  std::size_t capacity() const { return cap_; }
  std::size_t readers() const { return readers_; }
  std::size_t joined() const {
    return h_->joined.load(std::memory_order_acquire);
  }

  // Reader: takes the next free reader slot.
  void join() {
    const std::uint32_t i = h_->joined.fetch_add(1, std::memory_order_acq_rel);
    if (i >= readers_)
      throw std::runtime_error(name_ + ": more readers joined than the " +
                               std::to_string(readers_) +
                               " the ring was made for");
    me_ = &slots_[i];
    tail_ = me_->tail.load(std::memory_order_acquire);
  }

  // Writer only.
  void write(const std::byte* src, std::size_t n) {
    while (n > 0) {
      std::size_t room = cap_ - (head_ - min_tail_);
      if (room < n) {
        min_tail_ = slowest_tail();
        room = cap_ - (head_ - min_tail_);
        const std::size_t want = std::min(n, cap_ / 2);
        if (room < want) {
          if (wait_ == Wait::kBlock) wake_readers();
          wait_for_space(want);
          continue;
        }
      }
      const std::size_t k = std::min({n, room, kPublishBytes});
      ring_copy_in(data_, cap_, head_, src, k);
      head_ += k;
      h_->head.store(head_, std::memory_order_release);
      src += k;
      n -= k;
    }
    if (wait_ == Wait::kBlock) wake_readers();
  }

  // Reader only, after join().
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
      ring_copy_out(data_, cap_, tail_, dst, k);
      tail_ += k;
      me_->tail.store(tail_, std::memory_order_release);
      if (wait_ == Wait::kBlock) wake_writer();
      dst += k;
      n -= k;
    }
  }

 private:
  // As SpscRing: publish at least every 16 KiB.
  static constexpr std::size_t kPublishBytes = std::size_t{16} << 10;

  std::uint64_t slowest_tail() const {
    std::uint64_t t = slots_[0].tail.load(std::memory_order_acquire);
    for (std::size_t i = 1; i < readers_; ++i)
      t = std::min(t, slots_[i].tail.load(std::memory_order_acquire));
    return t;
  }
  template <class Ready>
  void wait_until(std::atomic<std::uint32_t>& waiter, std::uint32_t announce,
                  Ready ready) {
    if (wait_ == Wait::kSpin) return spin_wait(name_, ready);
    const timespec slice{0, kWaitSliceNs};
    futex_wait_until(waiter, announce, slice, name_, ready);
  }
  void wait_for_data() {
    wait_until(me_->data_waiter, 1, [&] {
      cached_head_ = h_->head.load(std::memory_order_acquire);
      return cached_head_ != tail_;
    });
  }
  void wait_for_space(std::size_t want) {
    wait_until(h_->space_waiter, static_cast<std::uint32_t>(want), [&] {
      min_tail_ = slowest_tail();
      return cap_ - (head_ - min_tail_) >= want;
    });
  }
  void wake_readers() {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    for (std::size_t i = 0; i < readers_; ++i) {
      if (slots_[i].data_waiter.load(std::memory_order_relaxed) != 0)
        futex_wake_sleeper(slots_[i].data_waiter, name_);
    }
  }
  // Only this reader's tail is known here: a reader ahead of the slowest
  // may wake the writer too early, which then re-checks and sleeps again;
  // the slowest reader's publish that frees enough room wakes it for good.
  void wake_writer() {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    const std::uint32_t want = h_->space_waiter.load(std::memory_order_relaxed);
    if (want != 0 &&
        cap_ - (h_->head.load(std::memory_order_relaxed) - tail_) >= want)
      futex_wake_sleeper(h_->space_waiter, name_);
  }

  BcastRingHeader* h_;
  BcastReaderSlot* slots_;
  std::byte* data_ = nullptr;
  Wait wait_;
  std::string name_;
  std::size_t cap_ = 0, readers_ = 0;
  std::uint64_t head_ = 0, min_tail_ = 0;     // writer
  BcastReaderSlot* me_ = nullptr;             // reader
  std::uint64_t tail_ = 0, cached_head_ = 0;  // reader
};

}  // namespace ipcb::transports
