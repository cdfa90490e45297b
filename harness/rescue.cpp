#include "harness/rescue.hpp"

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>

#include <cstdint>
#include <optional>

#include "sys/cancel.hpp"
#include "sys/checked.hpp"
#include "sys/fd.hpp"

namespace ipcb::harness {

using sys::checked;
using sys::Fd;

Rescue::Rescue(std::chrono::milliseconds grace, Handler on_stuck)
    : grace_(grace), on_stuck_(std::move(on_stuck)) {
  wake_fd_ = Fd(checked("eventfd", "rescue", [] {
    return ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  }));
  stop_fd_ = Fd(
      checked("eventfd", "rescue", [] { return ::eventfd(0, EFD_CLOEXEC); }));
  sys::set_cancel_watch_fd(wake_fd_.get());
  thread_ = std::thread([this] { watch(); });
}

Rescue::~Rescue() {
  sys::set_cancel_watch_fd(-1);
  const std::uint64_t one = 1;
  (void)!::write(stop_fd_.get(), &one, sizeof one);
  thread_.join();
}

void Rescue::watch() {
  // Process-directed signals belong to the driver's threads that block in
  // transport calls, not to this one.
  sigset_t all;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> since;  // cancelled, no progress since
  std::uint64_t seen = 0;
  for (;;) {
    // Idle while the run goes normally; a tick while it is cancelled.
    const int tick_ms = sys::cancelled() ? 100 : -1;
    pollfd fds[2] = {{wake_fd_.get(), POLLIN, 0}, {stop_fd_.get(), POLLIN, 0}};
    if (::poll(fds, 2, tick_ms) < 0) continue;  // EINTR
    if (fds[1].revents != 0) return;
    std::uint64_t drained = 0;
    (void)!::read(wake_fd_.get(), &drained, sizeof drained);
    if (!sys::cancelled()) {
      since.reset();
      continue;
    }
    const std::uint64_t progress = sys::progress_count();
    const auto now = Clock::now();
    if (!since || progress != seen) {
      since = now;
      seen = progress;
      continue;
    }
    if (now - *since >= grace_) {
      on_stuck_(cancel_cause());
      return;
    }
  }
}

std::string cancel_cause() {
  if (const int sig = sys::stop_signal()) {
    const char* abbrev = ::sigabbrev_np(sig);
    return std::string("interrupted by SIG") + (abbrev ? abbrev : "?");
  }
  return "its peer died or timed out";
}

}  // namespace ipcb::harness
