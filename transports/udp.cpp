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
// Across hosts (Config::peer_listens()): the peer's prepare() binds one
// socket on Config::listen_address (a port the kernel picks) and hands off
// its port, its flow window and a 16-byte random token; the driver's adopt()
// opens its own socket connected to Config::remote_host at that port. Its
// connect() sends a HELO datagram carrying the token and its own window,
// repeated every 200 ms until the peer's ACK arrives (at most 50 times,
// cancellable). The peer ignores every datagram without the token (counted
// as rejected_datagrams), connects its socket to the source of the first
// that has it (the kernel then drops datagrams from anyone else), discards
// what was queued before, and answers ACK with the window both use (the
// smaller of the two). A repeated HELO is answered again.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "sys/checked.hpp"
#include "sys/fd.hpp"
#include "transports/net_address.hpp"
#include "transports/registry.hpp"

namespace ipcb::transports {
namespace {

struct Header {
  std::uint32_t kind;
  std::uint32_t seq;  // data: its sequence number; credit: datagrams consumed
};
constexpr std::uint32_t kData = 0x44415441;    // "DATA"
constexpr std::uint32_t kCredit = 0x43524454;  // "CRDT"
constexpr std::uint32_t kHello = 0x48454c4f;   // "HELO": seq = the window
constexpr std::uint32_t kAck = 0x41434b21;     // "ACK!": seq = the window
constexpr int kSlicesPerHello = 4;             // a HELO every 200 ms
constexpr int kHelloTries = 50;                // 10 s without an ACK: fail
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

using Token = std::array<unsigned char, 16>;
struct Hello {
  Header h;
  Token token;
};

class UdpTransport final : public Transport {
 public:
  explicit UdpTransport(const Config& c)
      : listens_(c.peer_listens()),
        listen_host_(host_or_loopback(c.listen_address)),
        remote_host_(host_or_loopback(c.remote_host)) {}

  void prepare() override {
    if (listens_) {  // the peer, across hosts: one socket, not connected
      mine_ = open_socket(resolve_host(listen_host_, 0, "udp listen address"));
      const NetAddress bound = bound_address(mine_.get(), what_);
      port_ = bound.port();
      what_ = "udp " + bound.text();
      window_ = window_for(sock_int(mine_.get(), SO_RCVBUF));
      sys::checked("getrandom", "udp token", [&] {
        return ::getrandom(token_.data(), token_.size(), 0);
      });
      return;
    }
    const NetAddress loopback = resolve_host("127.0.0.1", 0, "udp loopback");
    mine_ = open_socket(loopback);
    theirs_ = open_socket(loopback);
    connect_to(mine_.get(), bound_address(theirs_.get(), what_));
    connect_to(theirs_.get(), bound_address(mine_.get(), what_));
    what_ = name(mine_.get());
    window_ = window_for(std::min(sock_int(mine_.get(), SO_RCVBUF),
                                  sock_int(theirs_.get(), SO_RCVBUF)));
  }
  std::vector<int> inherited_fds() const override {
    if (listens_) return {};
    return {theirs_.get()};
  }
  nlohmann::json handoff() const override {
    if (listens_) {
      return {{"port", port_},
              {"window", window_},
              {"token", std::vector<int>(token_.begin(), token_.end())}};
    }
    return {{"fd", theirs_.get()}, {"window", window_}};
  }
  void adopt(const nlohmann::json& h) override {
    window_ = h.at("window").get<std::uint32_t>();
    if (!listens_) {
      mine_.reset(h.at("fd").get<int>());
      what_ = name(mine_.get());
      return;
    }
    // The driver, across hosts: its own socket, connected to the peer's.
    auto token = h.at("token").get<std::vector<int>>();
    for (std::size_t i = 0; i < token_.size() && i < token.size(); ++i)
      token_[i] = static_cast<unsigned char>(token[i]);
    const NetAddress target =
        resolve_host(remote_host_, h.at("port").get<int>(), "udp peer host");
    NetAddress any;  // the unspecified address of the target's family
    any.family = target.family;
    any.storage.ss_family = static_cast<sa_family_t>(target.family);
    any.len = target.len;
    mine_ = open_socket(any);
    connect_to(mine_.get(), target);
    what_ = name(mine_.get());
    window_ = std::min(window_, window_for(sock_int(mine_.get(), SO_RCVBUF)));
  }
  void connect(Role role) override {
    if (listens_ && role == Role::kDriver) say_hello();
    if (listens_ && role == Role::kPeer) await_hello();
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
      if (r < sizeof h ||
          (h.kind != kData && h.kind != kCredit && !handshake_echo(h.kind)))
        throw std::runtime_error(cat(what_, ": a foreign datagram arrived"));
      if (h.kind == kCredit) {
        note_credit(h.seq);
        continue;
      }
      if (h.kind != kData) continue;  // a late handshake datagram
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
    std::map<std::string, std::int64_t> out = {
        {"so_sndbuf_bytes", sock_int(mine_.get(), SO_SNDBUF)},
        {"so_rcvbuf_bytes", sock_int(mine_.get(), SO_RCVBUF)},
        {"fragment_max_bytes", static_cast<std::int64_t>(kFragment)},
        {"flow_window_datagrams", window_},
        {"credit_every_datagrams", credit_every_}};
    if (listens_) out["rejected_datagrams"] = rejected_;
    return out;
  }

 private:
  // A UDP socket of addr's family with the largest buffers allowed and
  // SO_RCVTIMEO slices, bound to addr (port 0: the kernel picks one).
  sys::Fd open_socket(const NetAddress& addr) {
    const std::string what = "udp " + addr.text();
    sys::Fd s(sys::checked("socket", what, [&] {
      return ::socket(addr.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    }));
    set_int(s.get(), SO_RCVBUF, sysctl_int("/proc/sys/net/core/rmem_max"));
    set_int(s.get(), SO_SNDBUF, sysctl_int("/proc/sys/net/core/wmem_max"));
    timeval slice{0, kSliceMs * 1000};
    sys::checked("setsockopt(SO_RCVTIMEO)", what, [&] {
      return ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &slice,
                          sizeof slice);
    });
    sys::checked("bind", what,
                 [&] { return ::bind(s.get(), addr.get(), addr.len); });
    return s;
  }
  static std::uint32_t window_for(int rcvbuf) {
    return static_cast<std::uint32_t>(std::max<std::size_t>(
        1, static_cast<std::size_t>(rcvbuf) / (2 * kChargePerDatagram)));
  }
  static void set_int(int fd, int option, int v) {
    sys::checked("setsockopt", "udp socket", [&] {
      return ::setsockopt(fd, SOL_SOCKET, option, &v, sizeof v);
    });
  }
  static void connect_to(int fd, const NetAddress& to) {
    sys::checked("connect", "udp " + to.text(),
                 [&] { return ::connect(fd, to.get(), to.len); });
  }
  // "udp 127.0.0.1:<local port>->127.0.0.1:<remote port>"
  static std::string name(int fd) {
    NetAddress remote;
    remote.len = sizeof remote.storage;
    sys::checked("getpeername", "udp socket",
                 [&] { return ::getpeername(fd, remote.get(), &remote.len); });
    remote.family = remote.storage.ss_family;
    return cat("udp ", bound_address(fd, "udp socket").text(), "->",
               remote.text());
  }

  // Across hosts, the driver: HELO until the peer's ACK (bounded).
  void say_hello() {
    const Hello hello{{kHello, window_}, token_};
    auto send_hello = [&] {
      sys::checked("send", what_, [&] {
        return ::send(mine_.get(), &hello, sizeof hello, 0);
      });
    };
    send_hello();
    int idle = 0, tries = 1;
    for (;;) {
      Header h{};
      sys::checked_poll(
          "recv", what_, true, EAGAIN,
          [&] { return ::recv(mine_.get(), &h, sizeof h, 0); },
          [&] {
            if (++idle % kSlicesPerHello != 0) return;
            if (++tries > kHelloTries) {
              throw std::runtime_error(cat(
                  what_, ": the peer did not answer ",
                  std::to_string(kHelloTries), " handshakes (one every ",
                  std::to_string(kSlicesPerHello * kSliceMs),
                  " ms): is UDP to that port blocked (firewall) or the peer "
                  "gone?"));
            }
            send_hello();
          });
      if (h.kind == kAck) {
        window_ = std::max<std::uint32_t>(1, h.seq);
        return;
      }
    }
  }
  // Across hosts, the peer: the first datagram carrying the token decides
  // whom the socket talks to; every other is ignored.
  void await_hello() {
    for (;;) {
      Hello got{};
      NetAddress from;
      from.len = sizeof from.storage;
      const auto r = sys::checked_poll("recvfrom", what_, true, EAGAIN, [&] {
        return ::recvfrom(mine_.get(), &got, sizeof got, MSG_TRUNC, from.get(),
                          &from.len);
      });
      from.family = from.storage.ss_family;
      if (static_cast<std::size_t>(r) != sizeof got || got.h.kind != kHello ||
          got.token != token_) {
        ++rejected_;
        continue;
      }
      connect_to(mine_.get(), from);
      discard_queued();
      window_ = std::max<std::uint32_t>(1, std::min(window_, got.h.seq));
      what_ = name(mine_.get());
      send_ack();
      return;
    }
  }
  // What arrived before the socket was connected (from anyone).
  void discard_queued() {
    for (;;) {
      bool empty = false;
      std::byte one;
      sys::checked("recv", what_, [&] {
        const auto r = ::recv(mine_.get(), &one, 1, MSG_DONTWAIT | MSG_TRUNC);
        if (r < 0 && errno == EAGAIN) {
          empty = true;
          return decltype(r){0};
        }
        return r;
      });
      if (empty) return;
    }
  }
  void send_ack() {
    const Header ack{kAck, window_};
    sys::checked("send", what_,
                 [&] { return ::send(mine_.get(), &ack, sizeof ack, 0); });
  }
  // A handshake datagram after the handshake (a repeated HELO, whose ACK
  // was lost or late, or its second ACK): the peer answers HELO again.
  bool handshake_echo(std::uint32_t kind) {
    if (!listens_) return false;
    if (kind == kHello) send_ack();
    return kind == kHello || kind == kAck;
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
    if (h.kind != kCredit && handshake_echo(h.kind)) return;
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

  const bool listens_;  // across hosts: the peer binds, the driver connects
  const std::string listen_host_, remote_host_;
  Token token_{};
  int port_ = 0;
  std::int64_t rejected_ = 0;
  sys::Fd mine_, theirs_;
  std::string what_ = "udp 127.0.0.1";
  std::uint32_t window_ = 1, credit_every_ = 1;
  std::uint32_t sent_ = 0, acked_ = 0, received_ = 0;
};

}  // namespace

TransportInfo udp_transport() {
  Capabilities caps;
  caps.preserves_boundaries = true;
  caps.crosses_hosts = true;
  caps.limits =
      "127.0.0.1 (or --remote's host); datagram <= 65507 B: fragmented "
      "(8 B header + 65499 B); no back-pressure: window flow control (credit "
      "every window/2 datagrams) sized from SO_RCVBUF (net.core.rmem_max); a "
      "gap or 5 s silence is a loss error";
  return {"udp", "udp with window flow control, loopback 127.0.0.1", caps,
          [](const Config& c) { return std::make_unique<UdpTransport>(c); },
          [] { return std::optional<std::string>(); }};
}

}  // namespace ipcb::transports
