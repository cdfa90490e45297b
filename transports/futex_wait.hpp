// Waiting for another process's store to shared memory, shared by the
// shared-memory rings (spsc_ring.hpp, bcast_ring.hpp): a busy-poll, or the
// announce / re-check / sleep protocol on a futex word.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <string>

#include "sys/cancel.hpp"
#include "sys/checked.hpp"

namespace ipcb::transports {

inline constexpr int kSpinsPerCancelCheck = 1024;

// Busy-polls ready() with a pause instruction and no system call; polls
// sys::cancelled() every kSpinsPerCancelCheck rounds (`name` in the error).
template <class Ready>
void spin_wait(const std::string& name, Ready ready) {
  for (int i = 1;; ++i) {
    if (ready()) return;
    sys::cpu_relax();
    if (i % kSpinsPerCancelCheck == 0 && sys::cancelled())
      sys::throw_cancelled("spin wait", name);
  }
}

// Waits until ready(), announcing `announce` (non-zero) in the futex word
// `waiter` while it sleeps, each sleep at most `slice` (a safety net).
//
// The announce / re-check / sleep protocol. Lost wake-ups are the classic
// bug: the waiter checks "empty", the other side then publishes and sees
// nobody waiting, the waiter goes to sleep and nobody ever wakes it. Here
// the waiter stores its announcement (non-zero) in `waiter`, then re-reads
// the index; the other side stores the index, then reads `waiter`. Both
// pairs are separated by a seq_cst fence: this store-buffering pattern is
// exactly what acquire/release alone does NOT order (each load could be
// satisfied before the own store is visible). With the fences at least one
// side sees the other's store: either the re-check sees the new index (no
// sleep), or the other side sees the announcement and wakes. If that wake
// comes before our FUTEX_WAIT, the word is already 0 != announce and
// FUTEX_WAIT returns at once (EAGAIN): the kernel compares the word under
// its own lock. A producer waiting for `want` free bytes: every tail that
// the consumer publishes after our re-check is one the re-check did not
// see, so the consumer sees our announcement along with it; the tail that
// frees `want` bytes therefore wakes us. One word per sleeper: two
// sleepers sharing a word could each clear the other's announcement.
template <class Ready>
void futex_wait_until(std::atomic<std::uint32_t>& waiter,
                      std::uint32_t announce, const timespec& slice_len,
                      const std::string& name, Ready ready) {
  for (;;) {
    waiter.store(announce, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (ready()) {
      waiter.store(0, std::memory_order_relaxed);
      return;
    }
    timespec slice = slice_len;  // relative; the kernel may not modify it
    long r = ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&waiter),
                       FUTEX_WAIT, announce, &slice, nullptr, 0);
    // EINTR: a signal (the harness's SIGUSR1 once the run is cancelled);
    // EAGAIN: woken before we slept; ETIMEDOUT: the safety-net slice.
    if (r == -1 && errno != EINTR && errno != EAGAIN && errno != ETIMEDOUT)
      throw sys::SysError("futex(FUTEX_WAIT)", name, errno);
    if (sys::cancelled()) {
      waiter.store(0, std::memory_order_relaxed);
      sys::throw_cancelled("futex(FUTEX_WAIT)", name);
    }
  }
}

// Wakes the sleeper announced in `waiter`, if any. exchange(0): a single
// publish pays for the wake-up, not every publish until the sleeper has run.
inline void futex_wake_sleeper(std::atomic<std::uint32_t>& waiter,
                               const std::string& name) {
  if (waiter.exchange(0, std::memory_order_relaxed) == 0) return;
  if (::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&waiter),
                FUTEX_WAKE, 1, nullptr, nullptr, 0) == -1)
    throw sys::SysError("futex(FUTEX_WAKE)", name, errno);
}

}  // namespace ipcb::transports
