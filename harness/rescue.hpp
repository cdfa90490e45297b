// Rescue: the driver's last resort when a thread is stuck in a call that
// neither the cancel token nor a signal ends.
//
// Contract. When a peer dies or times out, Pair's watchdog cancels the run
// (cancel token + a signal that interrupts blocking calls), and a stop
// signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT) does the same; every transport
// call then returns within moments and the driver resets the token. A few
// library waits never return: glibc's pthread_cond_signal on a
// process-shared condition variable whose waiter was killed waits for that
// waiter for ever (Boost.Interprocess message_queue, the robust-mutex
// mailbox), retrying every signal. Rescue watches from its own thread, idle
// (blocked in poll) while the run is not cancelled: once it is, and the
// driver shows no progress (sys::reset_cancel or note_progress) for
// `grace`, it calls `on_stuck` with what cancelled the run. The handler
// saves what it can, removes this process's IPC objects and ends the
// process; it must not return.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "sys/fd.hpp"

namespace ipcb::harness {

class Rescue {
 public:
  using Handler = std::function<void(const std::string& cause)>;
  Rescue(std::chrono::milliseconds grace, Handler on_stuck);
  ~Rescue();
  Rescue(const Rescue&) = delete;
  Rescue& operator=(const Rescue&) = delete;

 private:
  void watch();

  std::chrono::milliseconds grace_;
  Handler on_stuck_;
  sys::Fd wake_fd_;  // written by the cancel token's changes
  sys::Fd stop_fd_;  // written by the destructor
  std::thread thread_;
};

// "interrupted by SIGINT" or "its peer died or timed out": what cancelled
// the run, for messages.
std::string cancel_cause();

}  // namespace ipcb::harness
