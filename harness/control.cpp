#include "harness/control.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <stdexcept>
#include <string>

#include "sys/checked.hpp"
#include "sys/fd.hpp"

namespace ipcb::harness {

using sys::checked;
using sys::Fd;

namespace {
// Receives the next packet whole: SOCK_SEQPACKET with MSG_PEEK|MSG_TRUNC
// tells its length first. 0 when the other side closed; -1 (errno set) on
// error, e.g. EAGAIN with MSG_DONTWAIT.
ssize_t recv_packet(int fd, std::string& out, int flags) {
  char probe;
  ssize_t n = ::recv(fd, &probe, 1, MSG_PEEK | MSG_TRUNC | flags);
  if (n <= 0) return n;
  out.resize(static_cast<std::size_t>(n));
  return ::recv(fd, out.data(), out.size(), flags);
}
}  // namespace

std::pair<Fd, Fd> Control::make_pair() {
  int sv[2];
  checked("socketpair", "control channel", [&] {
    return ::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
  });
  return {Fd(sv[0]), Fd(sv[1])};
}

void Control::send(const nlohmann::json& msg) {
  std::string text = msg.dump();
  checked("send", "control channel", [&] {
    return ::send(fd_.get(), text.data(), text.size(), MSG_NOSIGNAL);
  });
}

nlohmann::json Control::recv() {
  std::string text;
  auto n = checked("recv", "control channel",
                   [&] { return recv_packet(fd_.get(), text, 0); });
  if (n == 0)
    throw std::runtime_error("the other side closed the control channel");
  return nlohmann::json::parse(text);
}

std::optional<nlohmann::json> Control::poll_recv(int timeout_ms) {
  if (!fd_) return std::nullopt;
  pollfd p{fd_.get(), POLLIN, 0};
  int r = ::poll(&p, 1, timeout_ms);
  if (r <= 0) return std::nullopt;
  std::string text;
  if (recv_packet(fd_.get(), text, MSG_DONTWAIT) <= 0) return std::nullopt;
  return nlohmann::json::parse(text, nullptr, false);
}

}  // namespace ipcb::harness
