#include "transports/stream_socket.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "sys/checked.hpp"
#include "sys/fd.hpp"
#include "transports/capacity.hpp"

namespace ipcb::transports {

void StreamSocketTransport::send(const std::byte* d, std::size_t n) {
  while (n > 0) {
    auto w = sys::checked(
        "send", what_, [&] { return ::send(conn_.get(), d, n, MSG_NOSIGNAL); });
    d += w;
    n -= static_cast<std::size_t>(w);
  }
}

void StreamSocketTransport::recv(std::byte* d, std::size_t n) {
  sys::read_exact(conn_.get(), d, n, what_);
}

void StreamSocketTransport::accept_peer() {
  conn_ = sys::Fd(sys::checked("accept4", what_, [&] {
    return ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
  }));
  listener_.reset();
  size_buffers(conn_.get());
  tune(conn_.get());
}

void StreamSocketTransport::connect_to(const sockaddr* addr, socklen_t len,
                                       int family) {
  conn_ = sys::Fd(sys::checked("socket", what_, [&] {
    return ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  }));
  size_buffers(conn_.get());
  sys::checked("connect", what_,
               [&] { return ::connect(conn_.get(), addr, len); });
  tune(conn_.get());
}

void StreamSocketTransport::set_capacity(std::size_t asked, std::size_t sndbuf,
                                         std::size_t rcvbuf, bool with_rcvbuf) {
  asked_ = asked;
  sndbuf_ = asked ? sndbuf : 0;
  rcvbuf_ = asked ? rcvbuf : 0;
  with_rcvbuf_ = with_rcvbuf;
}

void StreamSocketTransport::size_buffers(int fd) const {
  size_socket(fd, sndbuf_, rcvbuf_, what_);
}

Capacity StreamSocketTransport::capacity() const {
  if (!conn_) return no_capacity("not connected");
  return socket_capacity(conn_.get(), with_rcvbuf_, asked_);
}

std::map<std::string, std::int64_t> StreamSocketTransport::applied_settings()
    const {
  if (!conn_) return {};
  std::map<std::string, std::int64_t> out;
  int v = 0;
  socklen_t len = sizeof v;
  if (::getsockopt(conn_.get(), SOL_SOCKET, SO_SNDBUF, &v, &len) == 0)
    out["so_sndbuf_bytes"] = v;
  len = sizeof v;
  if (::getsockopt(conn_.get(), SOL_SOCKET, SO_RCVBUF, &v, &len) == 0)
    out["so_rcvbuf_bytes"] = v;
  return out;
}

}  // namespace ipcb::transports
