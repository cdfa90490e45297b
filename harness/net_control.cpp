#include "harness/net_control.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <thread>

#include "sys/cancel.hpp"
#include "sys/checked.hpp"

namespace ipcb::harness {

namespace {

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - Clock::now());
  return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

std::string host_of(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
      ::inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], buf, sizeof buf);
      return buf;
    }
    ::inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
    return buf;
  }
  ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr,
              buf, sizeof buf);
  return buf;
}

// The host of one end of a connected socket ("" when unknown).
std::string end_host(int fd, int (*which)(int, sockaddr*, socklen_t*)) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (which(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "";
  return host_of(ss);
}

void set_int(int fd, int level, int opt, int value) {
  ::setsockopt(fd, level, opt, &value, sizeof value);
}

}  // namespace

std::string HostPort::text() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

HostPort parse_host_port(const std::string& text, const std::string& flag,
                         bool port_zero_ok) {
  auto bad = [&](const std::string& why) {
    return std::invalid_argument(flag + "='" + text + "': " + why +
                                 "; expected HOST:PORT, e.g. 10.0.0.2:7300");
  };
  HostPort hp;
  std::string port_text;
  if (!text.empty() && text[0] == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() ||
        text[close + 1] != ':')
      throw bad("an IPv6 address needs [ADDR]:PORT");
    hp.host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) {
      port_text = text;
    } else {
      if (text.find(':') != colon) throw bad("write an IPv6 address in []");
      hp.host = text.substr(0, colon);
      port_text = text.substr(colon + 1);
    }
  }
  if (port_text.empty() ||
      port_text.find_first_not_of("0123456789") != std::string::npos ||
      port_text.size() > 5)
    throw bad("the port is not a number");
  hp.port = std::stoi(port_text);
  if (hp.port > 65535 || (hp.port == 0 && !port_zero_ok))
    throw bad("the port must be 1..65535");
  return hp;
}

NetControl::NetControl(sys::Fd fd, std::string who)
    : fd_(std::move(fd)), who_(std::move(who)) {
  set_int(fd_.get(), IPPROTO_TCP, TCP_NODELAY, 1);
  set_int(fd_.get(), SOL_SOCKET, SO_KEEPALIVE, 1);
  set_int(fd_.get(), IPPROTO_TCP, TCP_KEEPIDLE, kDeadPeerS / 2);
  set_int(fd_.get(), IPPROTO_TCP, TCP_KEEPINTVL, 2);
  set_int(fd_.get(), IPPROTO_TCP, TCP_KEEPCNT, kDeadPeerS / 4);
  // Unacknowledged data for this long also ends the connection.
  set_int(fd_.get(), IPPROTO_TCP, TCP_USER_TIMEOUT, kDeadPeerS * 1000);
}

NetControl NetControl::dial(const HostPort& to, int timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(to.port);
  if (int rc = ::getaddrinfo(to.host.c_str(), port.c_str(), &hints, &res);
      rc != 0 || res == nullptr)
    throw std::runtime_error("cannot resolve the server's host '" + to.host +
                             "': " + ::gai_strerror(rc));
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> hold(res, ::freeaddrinfo);
  std::string why;
  for (;;) {
    sys::Fd fd(sys::checked("socket", to.text(), [&] {
      return ::socket(res->ai_family,
                      SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    }));
    int rc = ::connect(fd.get(), res->ai_addr, res->ai_addrlen);
    int err = rc == 0 ? 0 : errno;
    if (err == EINPROGRESS) {
      pollfd p{fd.get(), POLLOUT, 0};
      const int r = sys::checked(
          "poll", to.text(), [&] { return ::poll(&p, 1, ms_left(deadline)); });
      socklen_t len = sizeof err;
      if (r == 0)
        err = ETIMEDOUT;
      else
        ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    }
    if (err == 0) {
      const int flags = ::fcntl(fd.get(), F_GETFL);
      ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
      return NetControl(std::move(fd), to.text());
    }
    why = std::strerror(err);
    // A refused or unreachable connection may be a server still starting.
    if (ms_left(deadline) <= 0 || sys::cancelled()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("cannot reach the ipcbench server at " + to.text() +
                           ": " + why +
                           " (is `ipcbench --serve` running there, and is "
                           "its port open?)");
}

void NetControl::send(const nlohmann::json& msg) {
  const std::string text = msg.dump();
  std::string frame(4, '\0');
  const std::uint32_t n = htonl(static_cast<std::uint32_t>(text.size()));
  std::memcpy(frame.data(), &n, 4);
  frame += text;
  try {
    sys::write_exact(fd_.get(),
                     reinterpret_cast<const std::byte*>(frame.data()),
                     frame.size(), "control connection to " + who_);
  } catch (const sys::Cancelled&) {
    throw;
  } catch (const std::exception& e) {
    throw std::runtime_error("the control connection to " + who_ +
                             " failed: " + e.what());
  }
}

std::optional<nlohmann::json> NetControl::recv_within(int timeout_ms) {
  const auto deadline =
      timeout_ms < 0 ? Clock::time_point::max()
                     : Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string buf;
  std::size_t want = 4;
  bool header = true;
  while (buf.size() < want) {
    pollfd p{fd_.get(), POLLIN, 0};
    const int wait = timeout_ms < 0 ? -1 : ms_left(deadline);
    const int r = sys::checked("poll", "control connection to " + who_,
                               [&] { return ::poll(&p, 1, wait); });
    if (r == 0) {
      if (buf.empty()) return std::nullopt;
      throw std::runtime_error("the control connection to " + who_ +
                               " stalled in the middle of a message");
    }
    char chunk[4096];
    const std::size_t room = std::min(sizeof chunk, want - buf.size());
    const ssize_t n =
        sys::checked("recv", "control connection to " + who_,
                     [&] { return ::recv(fd_.get(), chunk, room, 0); });
    if (n == 0)
      throw std::runtime_error(who_ + " closed the control connection");
    buf.append(chunk, static_cast<std::size_t>(n));
    if (header && buf.size() == 4) {
      std::uint32_t len = 0;
      std::memcpy(&len, buf.data(), 4);
      len = ntohl(len);
      if (len > kMaxFrameBytes)
        throw std::runtime_error(who_ + " sent a control message of " +
                                 std::to_string(len) + " bytes (the limit is " +
                                 std::to_string(kMaxFrameBytes) + ")");
      header = false;
      buf.clear();
      want = len;
      if (want == 0) break;
    }
  }
  nlohmann::json j = nlohmann::json::parse(buf, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw std::runtime_error(who_ +
                             " sent a control message that is not a "
                             "JSON object");
  return j;
}

nlohmann::json NetControl::recv() { return *recv_within(-1); }

std::string NetControl::local_host() const {
  return end_host(fd_.get(), ::getsockname);
}

std::string NetControl::remote_host() const {
  return end_host(fd_.get(), ::getpeername);
}

void NetControl::shutdown() noexcept {
  if (fd_) ::shutdown(fd_.get(), SHUT_RDWR);
}

}  // namespace ipcb::harness
