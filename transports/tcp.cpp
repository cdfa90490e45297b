// tcp: TCP over loopback 127.0.0.1 on an ephemeral port, TCP_NODELAY on both
// sides (no Nagle delay on small messages). Limits: socket buffers from
// net.ipv4.tcp_wmem / tcp_rmem (auto-tuned; the applied size is recorded);
// loopback MTU 65536 segments large messages.
// Capacity: a direction's data waits in the sender's send buffer and, once
// acknowledged (at once on loopback), in the receiver's receive buffer;
// `equal` gives each half the budget (SO_SNDBUF = SO_RCVBUF = budget / 2,
// which also turns auto-tuning off); default: auto-tuned by tcp_wmem/rmem.
// Authentication: any local user can connect to a loopback port, so the
// peer's first bytes are a 16-byte random token handed over at spawn on the
// private control channel; the driver drops connections that do not present
// it (within 2 s) and keeps listening for the real peer.
// Across hosts (Config::peer_listens()): the peer listens on
// Config::listen_address and the driver connects to Config::remote_host,
// presenting the token the same way.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/random.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "sys/cancel.hpp"
#include "sys/checked.hpp"
#include "sys/fd.hpp"
#include "transports/net_address.hpp"
#include "transports/registry.hpp"
#include "transports/stream_socket.hpp"

namespace ipcb::transports {
namespace {

class TcpTransport final : public StreamSocketTransport {
 public:
  explicit TcpTransport(const Config& c)
      : listens_(c.peer_listens() ? Role::kPeer : Role::kDriver),
        listen_host_(host_or_loopback(c.listen_address)),
        remote_host_(host_or_loopback(c.remote_host)) {
    what_ = "tcp " + listen_host_;
    set_capacity(c.capacity_bytes, c.capacity_bytes / 2,
                 c.capacity_bytes - c.capacity_bytes / 2, true);
  }

  void prepare() override {
    NetAddress addr = resolve_host(listen_host_, 0, "tcp listen address");
    listener_ = sys::Fd(sys::checked("socket", what_, [&] {
      return ::socket(addr.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    }));
    size_buffers(listener_.get());  // inherited by the accepted connection
    sys::checked("bind", what_,
                 [&] { return ::bind(listener_.get(), addr.get(), addr.len); });
    sys::checked("listen", what_, [&] { return ::listen(listener_.get(), 1); });
    port_ = bound_address(listener_.get(), what_).port();
    what_ = "tcp " + bound_address(listener_.get(), what_).text();
    sys::checked("getrandom", "tcp token",
                 [&] { return ::getrandom(token_.data(), token_.size(), 0); });
  }
  nlohmann::json handoff() const override {
    std::vector<int> token(token_.begin(), token_.end());
    return {{"port", port_}, {"token", token}};
  }
  void adopt(const nlohmann::json& h) override {
    port_ = h.at("port").get<int>();
    auto token = h.at("token").get<std::vector<int>>();
    for (std::size_t i = 0; i < token_.size() && i < token.size(); ++i)
      token_[i] = static_cast<unsigned char>(token[i]);
    target_ = resolve_host(remote_host_, port_, "tcp peer host");
    what_ = "tcp " + target_.text();
  }
  void connect(Role role) override {
    if (role == listens_) {
      accept_authenticated();
    } else {
      connect_to(target_.get(), target_.len, target_.family);
      sys::write_exact(conn_.get(),
                       reinterpret_cast<const std::byte*>(token_.data()),
                       token_.size(), what_);
    }
  }
  void teardown() noexcept override {}  // nothing named
  std::map<std::string, std::int64_t> applied_settings() const override {
    auto out = StreamSocketTransport::applied_settings();
    if (conn_) {
      int v = 0;
      socklen_t len = sizeof v;
      if (::getsockopt(conn_.get(), IPPROTO_TCP, TCP_NODELAY, &v, &len) == 0)
        out["tcp_nodelay"] = v != 0;
    }
    out["rejected_connections"] = rejected_;
    return out;
  }

 protected:
  void tune(int fd) override {
    int one = 1;
    sys::checked("setsockopt(TCP_NODELAY)", what_, [&] {
      return ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    });
  }

 private:
  // Accepts connections until one presents the token; others are closed.
  void accept_authenticated() {
    for (;;) {
      sys::Fd c(sys::checked("accept4", what_, [&] {
        return ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
      }));
      if (presents_token(c.get())) {
        conn_ = std::move(c);
        listener_.reset();
        size_buffers(conn_.get());
        tune(conn_.get());
        return;
      }
      ++rejected_;
    }
  }

  bool presents_token(int fd) {
    timeval limit{2, 0}, none{0, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    std::array<unsigned char, 16> got{};
    try {
      sys::read_exact(fd, reinterpret_cast<std::byte*>(got.data()), got.size(),
                      what_);
    } catch (const sys::Cancelled&) {
      throw;
    } catch (const std::exception&) {
      return false;  // closed, timed out or reset: not our peer
    }
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
    return got == token_;
  }

  const Role listens_;  // the side whose prepare() listened
  const std::string listen_host_, remote_host_;
  NetAddress target_;
  int port_ = 0;
  std::array<unsigned char, 16> token_{};
  std::int64_t rejected_ = 0;
};

}  // namespace

TransportInfo tcp_transport() {
  Capabilities caps;
  caps.crosses_hosts = true;
  caps.limits =
      "127.0.0.1 (or --remote's host), TCP_NODELAY; buffers from "
      "net.ipv4.tcp_wmem/"
      "tcp_rmem (applied size recorded)";
  return {"tcp", "TCP over loopback 127.0.0.1, TCP_NODELAY", caps,
          [](const Config& c) { return std::make_unique<TcpTransport>(c); },
          [] { return std::optional<std::string>(); }};
}

}  // namespace ipcb::transports
