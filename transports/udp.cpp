// udp: UDP over loopback, two sockets bound to 127.0.0.1 on ephemeral ports
// and connected to each other in prepare(); the peer inherits one of them
// (connected sockets only accept datagrams from the other one).
// Limits: a datagram carries at most 65507 B, so messages are FRAGMENTED into
// datagrams of an 8-byte header (kind, sequence number) + up to 65499 B.
// UDP has no back-pressure: a burst larger than the receiver's SO_RCVBUF is
// DROPPED, so SO_RCVBUF/SO_SNDBUF are raised to net.core.rmem_max/wmem_max
// (applied sizes recorded) and the transport adds window flow control, which
// is part of what is measured: the sender keeps at most flow_window_datagrams
// unconsumed datagrams in flight (a full 64 KiB datagram is charged ~66.5 KiB
// on loopback; the window is half of what the applied SO_RCVBUF holds) and
// the receiver returns a cumulative credit every window/2 datagrams.
// Loss is never silent and never a hang: a sequence gap is an error naming the
// expected and received numbers; receives wait in 50 ms slices (SO_RCVTIMEO)
// checking for cancellation, and 5 s without any datagram is reported as
// loss. Half-duplex only: data must not arrive while a side waits for credit
// (true of every scenario). Knobs: net.core.rmem_max, net.core.wmem_max.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "sys/checked.hpp"
#include "sys/fd.hpp"
#include "transports/registry.hpp"

namespace ipcb::transports {
namespace {

struct Header {
  std::uint32_t kind;
  std::uint32_t seq;  // data: its sequence number; credit: datagrams consumed
};
constexpr std::uint32_t kData = 0x44415441;    // "DATA"
constexpr std::uint32_t kCredit = 0x43524454;  // "CRDT"
constexpr std::size_t kMaxPayload = 65507;     // 65535 - IP and UDP headers
constexpr std::size_t kFragment = kMaxPayload - sizeof(Header);
constexpr std::size_t kChargePerDatagram = 70 * 1024;  // measured ~66.5 KiB
constexpr int kSliceMs = 50;
constexpr int kSilenceSlices = 100;  // 5 s without a datagram: loss

int sock_int(int fd, int option) {
  int v = 0;
  socklen_t len = sizeof v;
  if (::getsockopt(fd, SOL_SOCKET, option, &v, &len) != 0) return -1;
  return v;
}

template <class... Parts>
std::string cat(const Parts&... parts) {
  std::string s;
  ((s += parts), ...);
  return s;
}

int sysctl_int(const char* path) {
  std::string s = sys::read_text_file(path);
  return s.empty() ? 4 << 20 : std::stoi(s);
}

class UdpTransport final : public Transport {
 public:
  explicit UdpTransport(const Config&) {}

  void prepare() override {
    mine_ = open_bound();
    theirs_ = open_bound();
    connect_to(mine_.get(), port_of(theirs_.get(), false));
    connect_to(theirs_.get(), port_of(mine_.get(), false));
    what_ = name(mine_.get());
    const int rcvbuf = std::min(sock_int(mine_.get(), SO_RCVBUF),
                                sock_int(theirs_.get(), SO_RCVBUF));
    window_ = static_cast<std::uint32_t>(std::max<std::size_t>(
        1, static_cast<std::size_t>(rcvbuf) / (2 * kChargePerDatagram)));
  }
  std::vector<int> inherited_fds() const override { return {theirs_.get()}; }
  nlohmann::json handoff() const override {
    return {{"fd", theirs_.get()}, {"window", window_}};
  }
  void adopt(const nlohmann::json& h) override {
    mine_.reset(h.at("fd").get<int>());
    window_ = h.at("window").get<std::uint32_t>();
    what_ = name(mine_.get());
  }
  void connect(Role role) override {
    if (role == Role::kDriver) theirs_.reset();
    credit_every_ = std::max<std::uint32_t>(1, window_ / 2);
  }

  void send(const std::byte* d, std::size_t n) override {
    while (n > 0) {
      const std::size_t len = std::min(n, kFragment);
      while (sent_ - acked_ >= window_) await_credit();
      Header h{kData, sent_};
      iovec iov[2] = {{&h, sizeof h}, {const_cast<std::byte*>(d), len}};
      msghdr m{};
      m.msg_iov = iov;
      m.msg_iovlen = 2;
      sys::checked("sendmsg", what_,
                   [&] { return ::sendmsg(mine_.get(), &m, 0); });
      ++sent_;
      d += len;
      n -= len;
    }
  }

  void recv(std::byte* d, std::size_t n) override {
    while (n > 0) {
      Header h{};
      iovec iov[2] = {{&h, sizeof h}, {d, n}};
      msghdr m{};
      m.msg_iov = iov;
      m.msg_iovlen = 2;
      const std::size_t r = receive(m, false);
      if (r < sizeof h || (h.kind != kData && h.kind != kCredit))
        throw std::runtime_error(cat(what_, ": a foreign datagram arrived"));
      if (h.kind == kCredit) {
        note_credit(h.seq);
        continue;
      }
      if (h.seq != received_) {
        lost(cat("datagram lost: expected sequence ", std::to_string(received_),
                 ", received ", std::to_string(h.seq)));
      }
      if (m.msg_flags & MSG_TRUNC) {
        throw std::runtime_error(cat(what_, ": a datagram longer than the ",
                                     std::to_string(n),
                                     " bytes still expected arrived"));
      }
      ++received_;
      d += r - sizeof h;
      n -= r - sizeof h;
      if (received_ % credit_every_ == 0) send_credit();
    }
  }

  void teardown() noexcept override {}  // nothing named
  std::map<std::string, std::int64_t> applied_settings() const override {
    if (!mine_) return {};
    return {{"so_sndbuf_bytes", sock_int(mine_.get(), SO_SNDBUF)},
            {"so_rcvbuf_bytes", sock_int(mine_.get(), SO_RCVBUF)},
            {"fragment_max_bytes", static_cast<std::int64_t>(kFragment)},
            {"flow_window_datagrams", window_},
            {"credit_every_datagrams", credit_every_}};
  }

 private:
  sys::Fd open_bound() {
    sys::Fd s(sys::checked("socket", "udp 127.0.0.1", [] {
      return ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    }));
    set_int(s.get(), SO_RCVBUF, sysctl_int("/proc/sys/net/core/rmem_max"));
    set_int(s.get(), SO_SNDBUF, sysctl_int("/proc/sys/net/core/wmem_max"));
    timeval slice{0, kSliceMs * 1000};
    sys::checked("setsockopt(SO_RCVTIMEO)", "udp 127.0.0.1", [&] {
      return ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &slice,
                          sizeof slice);
    });
    sockaddr_in a = loopback(0);
    sys::checked("bind", "udp 127.0.0.1", [&] {
      return ::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
    });
    return s;
  }
  static void set_int(int fd, int option, int v) {
    sys::checked("setsockopt", "udp 127.0.0.1", [&] {
      return ::setsockopt(fd, SOL_SOCKET, option, &v, sizeof v);
    });
  }
  static void connect_to(int fd, int port) {
    sockaddr_in a = loopback(port);
    sys::checked("connect", "udp 127.0.0.1", [&] {
      return ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    });
  }
  static sockaddr_in loopback(int port) {
    sockaddr_in a;
    std::memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
  }
  static int port_of(int fd, bool remote) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    auto* p = reinterpret_cast<sockaddr*>(&a);
    sys::checked(remote ? "getpeername" : "getsockname", "udp 127.0.0.1", [&] {
      return remote ? ::getpeername(fd, p, &len) : ::getsockname(fd, p, &len);
    });
    return ntohs(a.sin_port);
  }
  // "udp 127.0.0.1:<local port>-><remote port>"
  static std::string name(int fd) {
    return cat("udp 127.0.0.1:", std::to_string(port_of(fd, false)), "->",
               std::to_string(port_of(fd, true)));
  }

  // recvmsg in SO_RCVTIMEO slices: cancellable, and silence is loss.
  std::size_t receive(msghdr& m, bool for_credit) {
    int idle = 0;
    const auto r = sys::checked_poll(
        "recvmsg", what_, true, EAGAIN,
        [&] { return ::recvmsg(mine_.get(), &m, 0); },
        [&] {
          if (++idle < kSilenceSlices) return;
          if (for_credit) {
            lost(cat("no flow-control credit for 5 s (", std::to_string(sent_),
                     " datagrams sent, ", std::to_string(acked_),
                     " credited)"));
          }
          lost(cat("no datagram for 5 s while expecting sequence ",
                   std::to_string(received_)));
        });
    return static_cast<std::size_t>(r);
  }
  void await_credit() {
    Header h{};
    iovec iov{&h, sizeof h};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    receive(m, true);
    if (h.kind != kCredit) {
      throw std::runtime_error(
          cat(what_,
              ": data arrived while waiting for flow-control credit "
              "(both sides sent at once; this transport is half-duplex)"));
    }
    note_credit(h.seq);
  }
  void note_credit(std::uint32_t consumed) {
    if (static_cast<std::int32_t>(consumed - acked_) > 0) acked_ = consumed;
  }
  void send_credit() {
    Header h{kCredit, received_};
    sys::checked("send", what_,
                 [&] { return ::send(mine_.get(), &h, sizeof h, 0); });
  }
  // Loss: what was seen, and which knob to raise.
  [[noreturn]] void lost(const std::string& seen) const {
    throw std::runtime_error(
        cat(what_, ": ", seen,
            "; datagrams were dropped (receive buffer overflow) or the other "
            "side stopped sending: raise net.core.rmem_max (now ",
            sys::read_text_file("/proc/sys/net/core/rmem_max"),
            ") so that a larger SO_RCVBUF applies (applied: ",
            std::to_string(sock_int(mine_.get(), SO_RCVBUF)), " B)"));
  }

  sys::Fd mine_, theirs_;
  std::string what_ = "udp 127.0.0.1";
  std::uint32_t window_ = 1, credit_every_ = 1;
  std::uint32_t sent_ = 0, acked_ = 0, received_ = 0;
};

}  // namespace

TransportInfo udp_transport() {
  Capabilities caps;
  caps.preserves_boundaries = true;
  caps.limits =
      "127.0.0.1 only; datagram <= 65507 B: fragmented (8 B header + 65499 B); "
      "no back-pressure: window flow control (credit every window/2 "
      "datagrams) sized from SO_RCVBUF (net.core.rmem_max); a gap or 5 s "
      "silence is a loss error";
  return {"udp", "udp with window flow control, loopback 127.0.0.1", caps,
          [](const Config& c) { return std::make_unique<UdpTransport>(c); },
          [] { return std::optional<std::string>(); }};
}

}  // namespace ipcb::transports
