// ReleaseGate: one eventfd that any number of processes wait on, released
// for all of them by a single write.
//
// Contract. The creator makes the eventfd (close-on-exec) and hands its
// number to the processes it starts, which inherit it (harness::Pair keeps
// it open across exec). Each waiter polls it for readable and never reads
// it, so the counter stays non-zero and one release() wakes every waiter
// at once, in one system call, however many wait; a waiter that arrives
// after the release returns at once. Used to start all fan-in producers'
// timed parts together.
#pragma once

#include <cstdint>

#include "sys/fd.hpp"

namespace ipcb::harness {

class ReleaseGate {
 public:
  ReleaseGate();  // throws, naming eventfd, on failure
  int fd() const { return fd_.get(); }
  // Releases every waiter, present and future: one write(2). Throws.
  void release();

  // Blocks until the gate of `fd` is released (EINTR retried). Throws
  // std::runtime_error naming poll on failure.
  static void wait(int fd);
  // Whether the gate of `fd` is released, without blocking.
  static bool released(int fd);

  // How release() does it, as the results record says.
  static constexpr const char* kMethod =
      "one eventfd that every producer polls; a single write releases all";

 private:
  sys::Fd fd_;
};

// FinishCount: one eventfd that each of several processes adds one to
// when it is done (fan-out consumers that have seen the end of the run),
// and that its creator reads without blocking.
//
// Contract. Handed to the processes it starts like a ReleaseGate (they
// inherit the descriptor under the same number). add_one() is one
// write(2); take() reads (and so resets) the eventfd's counter: the sum of
// what take() returns is how many have finished. The eventfd is
// non-blocking.
class FinishCount {
 public:
  FinishCount();  // throws, naming eventfd, on failure
  int fd() const { return fd_.get(); }
  // How many add_one() calls on `fd` were made since the last take(); 0 at
  // once when none. Throws.
  static std::int64_t take(int fd);
  // One more process is done: one write(2) to `fd`. Throws.
  static void add_one(int fd);

 private:
  sys::Fd fd_;
};

}  // namespace ipcb::harness
