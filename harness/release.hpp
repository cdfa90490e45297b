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

}  // namespace ipcb::harness
