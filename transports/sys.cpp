#include "transports/sys.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ipcb::transports {
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

SysError::SysError(std::string_view call, std::string_view object, int err)
    : std::runtime_error(std::string(call) + "(" + std::string(object) +
                         "): " + std::strerror(err)),
      err_(err) {}

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

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) reset(o.release());
  return *this;
}

void Fd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

void write_exact(int fd, const std::byte* data, std::size_t n,
                 std::string_view object) {
  while (n > 0) {
    auto w = checked("write", object, [&] { return ::write(fd, data, n); });
    data += w;
    n -= static_cast<std::size_t>(w);
  }
}

void read_exact(int fd, std::byte* data, std::size_t n,
                std::string_view object) {
  while (n > 0) {
    auto r = checked("read", object, [&] { return ::read(fd, data, n); });
    if (r == 0) {
      throw std::runtime_error("read(" + std::string(object) +
                               "): the other side closed the connection with " +
                               std::to_string(n) + " bytes still expected");
    }
    data += r;
    n -= static_cast<std::size_t>(r);
  }
}

void throw_name_taken(std::string_view call, std::string_view object) {
  std::string msg(call);
  msg += "(";
  msg += object;
  msg +=
      "): an object with this name already exists; refusing to reuse it "
      "(remove it if it is a leftover of a crashed run)";
  throw std::runtime_error(msg);
}

void set_cloexec(int fd, bool on, std::string_view object) {
  checked("fcntl(F_SETFD)", object,
          [&] { return ::fcntl(fd, F_SETFD, on ? FD_CLOEXEC : 0); });
}

void record_sysv_object(const std::string& dir, const char* kind, int id,
                        const std::string& label) {
  record_named_object(dir, kind, std::to_string(id) + " " + label);
}

void record_named_object(const std::string& dir, const char* kind,
                         const std::string& name) {
  std::string path = dir + "/ipc-objects";
  Fd fd(checked("open", path, [&] {
    return ::open(path.c_str(),
                  O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
  }));
  std::string line = kind;
  line += ' ';
  line += name;
  line += '\n';
  write_exact(fd.get(), reinterpret_cast<const std::byte*>(line.data()),
              line.size(), path);
}

key_t sysv_key(std::string_view prefix, std::string_view label) {
  std::uint32_t h = 2166136261u;  // FNV-1a offset basis
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 16777619u;  // FNV prime
    }
  };
  mix(prefix);
  mix("/");
  mix(label);
  if (h == 0) h = 1;  // 0 is IPC_PRIVATE
  return static_cast<key_t>(h);
}

std::string sysv_key_hex(key_t key) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08x", static_cast<std::uint32_t>(key));
  return text;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace ipcb::transports
