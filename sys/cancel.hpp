// The cancel token of this process: how a run whose other side is gone ends
// every wait, blocking or spinning.
//
// Contract. The harness sets the token (request_cancel) from its watchdog and
// then interrupts the blocked thread with a signal: checked() (checked.hpp)
// ends with Cancelled instead of retrying the EINTR, and spin loops poll
// cancelled(). request_stop() (async-signal-safe, for SIGINT/SIGTERM) cancels
// for good: reset_cancel() does not clear it. The driver's last-resort
// watcher (harness/rescue.hpp) is told, through an eventfd, of every change
// and of every sign of progress. cpu_relax() is the pause of spin loops.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string_view>

namespace ipcb::sys {

// Thrown when a blocking call was interrupted because the harness cancelled
// the run (peer died, timed out, or the user interrupted).
class Cancelled : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void request_cancel() noexcept;
void reset_cancel() noexcept;
void request_stop(int signal_number) noexcept;
int stop_signal() noexcept;  // 0 unless request_stop() was called
bool cancelled() noexcept;
// Throws Cancelled: "<call>(<object>): cancelled by the harness".
[[noreturn]] void throw_cancelled(std::string_view call,
                                  std::string_view object);

// For the driver's last-resort watcher (harness/rescue.hpp): `fd` (an
// eventfd, or -1 for none) is written to, async-signal-safely, whenever the
// run becomes cancelled or stopped, is reset, or note_progress() is called.
void set_cancel_watch_fd(int fd) noexcept;
// The driver is still moving while cancelled (tearing down, reaping): each
// call counts as progress for the watcher, as reset_cancel() does.
void note_progress() noexcept;
std::uint64_t progress_count() noexcept;

// A pause hint for spin loops (lets the sibling hyperthread run).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace ipcb::sys
