#include "sys/cancel.hpp"

#include <unistd.h>

#include <atomic>
#include <string>

namespace ipcb::sys {
namespace {
std::atomic<bool> g_cancelled{false};
std::atomic<int> g_stop_signal{0};
std::atomic<int> g_watch_fd{-1};
std::atomic<std::uint64_t> g_progress{0};

void tell_watcher() noexcept {
  const int fd = g_watch_fd.load(std::memory_order_acquire);
  if (fd < 0) return;
  const std::uint64_t one = 1;
  (void)!::write(fd, &one, sizeof one);  // async-signal-safe
}
}  // namespace

void request_cancel() noexcept {
  if (!g_cancelled.exchange(true, std::memory_order_acq_rel)) tell_watcher();
}
void reset_cancel() noexcept {
  g_progress.fetch_add(1, std::memory_order_relaxed);
  if (g_cancelled.exchange(false, std::memory_order_acq_rel)) tell_watcher();
}
void request_stop(int signal_number) noexcept {
  g_stop_signal.store(signal_number, std::memory_order_release);
  g_cancelled.store(true, std::memory_order_release);
  tell_watcher();
}
void set_cancel_watch_fd(int fd) noexcept {
  g_watch_fd.store(fd, std::memory_order_release);
}
void note_progress() noexcept {
  g_progress.fetch_add(1, std::memory_order_relaxed);
  if (cancelled()) tell_watcher();
}
std::uint64_t progress_count() noexcept {
  return g_progress.load(std::memory_order_relaxed);
}
int stop_signal() noexcept {
  return g_stop_signal.load(std::memory_order_acquire);
}
bool cancelled() noexcept {
  return g_cancelled.load(std::memory_order_acquire) ||
         g_stop_signal.load(std::memory_order_acquire) != 0;
}
void throw_cancelled(std::string_view call, std::string_view object) {
  throw Cancelled(std::string(call) + "(" + std::string(object) +
                  "): cancelled by the harness");
}

}  // namespace ipcb::sys
