#include "transports/message_socket.hpp"

#include <algorithm>
#include <bit>

#include "sys/checked.hpp"
#include "sys/fd.hpp"

namespace ipcb::transports {

namespace {
constexpr std::size_t kMaxFragment = 64 * 1024;
constexpr int kDatagramOverhead = 32;  // sk_sndbuf - 32: af_unix.c limit

int socket_int(int fd, int option) {
  int v = 0;
  socklen_t len = sizeof v;
  if (::getsockopt(fd, SOL_SOCKET, option, &v, &len) != 0) return -1;
  return v;
}
}  // namespace

std::size_t unix_fragment_bytes(int sndbuf_bytes) {
  const auto usable =
      static_cast<std::size_t>(std::max(sndbuf_bytes - kDatagramOverhead, 2));
  return std::min(kMaxFragment, std::bit_floor(usable / 2));
}

std::size_t unix_default_fragment_bytes() {
  int wmem = 212992;  // the kernel's default, if /proc cannot be read
  try {
    wmem = std::stoi(sys::read_text_file("/proc/sys/net/core/wmem_default"));
  } catch (const std::exception&) {
  }
  return unix_fragment_bytes(wmem);
}

void send_fragmented(int fd, const std::byte* d, std::size_t n,
                     std::size_t fragment, std::string_view object) {
  while (n > 0) {
    const std::size_t len = std::min(n, fragment);
    sys::checked("send", object, [&] {
      return ::send(fd, d, len, MSG_NOSIGNAL);
    });  // all or error
    d += len;
    n -= len;
  }
}

void recv_fragmented(int fd, std::byte* d, std::size_t n,
                     std::string_view object) {
  while (n > 0) {
    // MSG_TRUNC: the result is the datagram's real length, even if longer.
    auto r = static_cast<std::size_t>(sys::checked(
        "recv", object, [&] { return ::recv(fd, d, n, MSG_TRUNC); }));
    if (r == 0) {
      throw std::runtime_error("recv(" + std::string(object) +
                               "): the other side closed the connection with " +
                               std::to_string(n) + " bytes still expected");
    }
    if (r > n) {
      throw std::runtime_error("recv(" + std::string(object) +
                               "): a datagram of " + std::to_string(r) +
                               " bytes arrived when only " + std::to_string(n) +
                               " bytes of the message were still expected");
    }
    d += r;
    n -= r;
  }
}

void UnixMessageSocketTransport::prepare() {
  int fds[2];
  sys::checked("socketpair", what_, [&] {
    return ::socketpair(AF_UNIX, type_ | SOCK_CLOEXEC, 0, fds);
  });
  mine_.reset(fds[0]);
  theirs_.reset(fds[1]);
}

void UnixMessageSocketTransport::adopt(const nlohmann::json& h) {
  mine_.reset(h.at("fd").get<int>());
}

void UnixMessageSocketTransport::connect(Role role) {
  // The driver closes the peer's end so that only the peer holds it.
  if (role == Role::kDriver) theirs_.reset();
  fragment_ = unix_fragment_bytes(socket_int(mine_.get(), SO_SNDBUF));
}

std::map<std::string, std::int64_t>
UnixMessageSocketTransport::applied_settings() const {
  if (!mine_) return {};
  return {{"so_sndbuf_bytes", socket_int(mine_.get(), SO_SNDBUF)},
          {"so_rcvbuf_bytes", socket_int(mine_.get(), SO_RCVBUF)},
          {"fragment_max_bytes", static_cast<std::int64_t>(fragment_)}};
}

}  // namespace ipcb::transports
