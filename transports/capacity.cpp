#include "transports/capacity.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "sys/checked.hpp"
#include "transports/queue_common.hpp"

namespace ipcb::transports {

Capacity read_capacity(std::int64_t applied, std::size_t asked,
                       std::string source, std::string limit,
                       std::string sysctl) {
  Capacity c;
  c.applied_bytes = applied;
  c.source = std::move(source);
  if (asked > 0 && applied < static_cast<std::int64_t>(asked)) {
    c.limit = std::move(limit);
    c.sysctl = std::move(sysctl);
  }
  return c;
}

Capacity no_capacity(std::string reason) {
  Capacity c;
  c.reason = std::move(reason);
  return c;
}

void size_pipe(int fd, std::size_t bytes, const std::string& what) {
  if (bytes == 0) return;
  // EPERM: beyond fs.pipe-max-size (or the user's pipe-user-pages) without
  // CAP_SYS_RESOURCE; then try the most an unprivileged user may have.
  if (::fcntl(fd, F_SETPIPE_SZ, static_cast<int>(bytes)) >= 0) return;
  if (errno != EPERM) {
    sys::checked("fcntl(F_SETPIPE_SZ)", what, [&] {
      return ::fcntl(fd, F_SETPIPE_SZ, static_cast<int>(bytes));
    });
    return;
  }
  const auto max = read_limit("/proc/sys/fs/pipe-max-size", 0);
  if (max > 0) ::fcntl(fd, F_SETPIPE_SZ, static_cast<int>(max));
}

Capacity pipe_capacity(int a2b, int b2a, std::size_t asked) {
  const std::int64_t a = ::fcntl(a2b, F_GETPIPE_SZ);
  const std::int64_t b = ::fcntl(b2a, F_GETPIPE_SZ);
  const auto max = read_limit("/proc/sys/fs/pipe-max-size", -1);
  return read_capacity(std::min(a, b), asked,
                       "fcntl(F_GETPIPE_SZ), smaller of the two pipes",
                       "fs.pipe-max-size = " + std::to_string(max) +
                           " (beyond it F_SETPIPE_SZ needs CAP_SYS_RESOURCE; "
                           "fs.pipe-user-pages-soft/hard cap a user's pipes)",
                       "sysctl -w fs.pipe-max-size=" + std::to_string(asked));
}

namespace {

int sockopt(int fd, int name) {
  int v = 0;
  socklen_t len = sizeof v;
  if (::getsockopt(fd, SOL_SOCKET, name, &v, &len) != 0) return -1;
  return v;
}

void set_buffer(int fd, int name, int force, std::size_t bytes,
                const std::string& what) {
  if (bytes == 0) return;
  const int v = static_cast<int>(bytes);
  sys::checked(
      name == SO_SNDBUF ? "setsockopt(SO_SNDBUF)" : "setsockopt(SO_RCVBUF)",
      what, [&] { return ::setsockopt(fd, SOL_SOCKET, name, &v, sizeof v); });
  // Capped by net.core.{w,r}mem_max: force it where the process may
  // (CAP_NET_ADMIN); EPERM leaves the capped value.
  if (sockopt(fd, name) < 2 * v)
    (void)::setsockopt(fd, SOL_SOCKET, force, &v, sizeof v);
}

}  // namespace

void size_socket(int fd, std::size_t sndbuf, std::size_t rcvbuf,
                 const std::string& what) {
  set_buffer(fd, SO_SNDBUF, SO_SNDBUFFORCE, sndbuf, what);
  set_buffer(fd, SO_RCVBUF, SO_RCVBUFFORCE, rcvbuf, what);
}

Capacity socket_capacity(int fd, bool with_rcvbuf, std::size_t asked) {
  const std::int64_t snd = sockopt(fd, SO_SNDBUF) / 2;
  const std::int64_t rcv = with_rcvbuf ? sockopt(fd, SO_RCVBUF) / 2 : 0;
  std::string limit =
      "net.core.wmem_max = " +
      std::to_string(read_limit("/proc/sys/net/core/wmem_max", -1));
  std::string sysctl = "sysctl -w net.core.wmem_max=" + std::to_string(asked);
  if (with_rcvbuf) {
    limit += ", net.core.rmem_max = " +
             std::to_string(read_limit("/proc/sys/net/core/rmem_max", -1));
    sysctl += " net.core.rmem_max=" + std::to_string(asked);
  }
  limit += " (beyond them SO_SNDBUFFORCE/SO_RCVBUFFORCE need CAP_NET_ADMIN)";
  return read_capacity(snd + rcv, asked,
                       with_rcvbuf ? "getsockopt(SO_SNDBUF + SO_RCVBUF) / 2"
                                   : "getsockopt(SO_SNDBUF) / 2",
                       limit, sysctl);
}

}  // namespace ipcb::transports
