#include "harness/control.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <stdexcept>
#include <vector>

namespace ipcb::harness {

using transports::checked;
using transports::Fd;

namespace {
constexpr std::size_t kMaxMessage = 1 << 20;
}

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
  std::vector<char> buf(kMaxMessage);
  auto n = checked("recv", "control channel", [&] {
    return ::recv(fd_.get(), buf.data(), buf.size(), 0);
  });
  if (n == 0)
    throw std::runtime_error("the other side closed the control channel");
  return nlohmann::json::parse(buf.begin(), buf.begin() + n);
}

std::optional<nlohmann::json> Control::poll_recv(int timeout_ms) {
  if (!fd_) return std::nullopt;
  pollfd p{fd_.get(), POLLIN, 0};
  int r = ::poll(&p, 1, timeout_ms);
  if (r <= 0) return std::nullopt;
  std::vector<char> buf(kMaxMessage);
  auto n = ::recv(fd_.get(), buf.data(), buf.size(), MSG_DONTWAIT);
  if (n <= 0) return std::nullopt;
  return nlohmann::json::parse(buf.begin(), buf.begin() + n, nullptr, false);
}

}  // namespace ipcb::harness
