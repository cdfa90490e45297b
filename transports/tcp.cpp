// tcp: TCP over loopback 127.0.0.1 on an ephemeral port, TCP_NODELAY on both
// sides (no Nagle delay on small messages). Limits: socket buffers from
// net.ipv4.tcp_wmem / tcp_rmem (auto-tuned; the applied size is recorded);
// loopback MTU 65536 segments large messages.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cstring>

#include "transports/registry.hpp"
#include "transports/stream_socket.hpp"

namespace ipcb::transports {
namespace {

class TcpTransport final : public StreamSocketTransport {
 public:
  explicit TcpTransport(const Config&) { what_ = "tcp 127.0.0.1"; }

  void prepare() override {
    listener_ = Fd(checked("socket", what_, [&] {
      return ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    }));
    sockaddr_in addr = loopback(0);
    checked("bind", what_, [&] {
      return ::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr),
                    sizeof addr);
    });
    checked("listen", what_, [&] { return ::listen(listener_.get(), 1); });
    socklen_t len = sizeof addr;
    checked("getsockname", what_, [&] {
      return ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr),
                           &len);
    });
    port_ = ntohs(addr.sin_port);
    what_ = "tcp 127.0.0.1:" + std::to_string(port_);
  }
  nlohmann::json handoff() const override { return {{"port", port_}}; }
  void adopt(const nlohmann::json& h) override {
    port_ = h.at("port").get<int>();
    what_ = "tcp 127.0.0.1:" + std::to_string(port_);
  }
  void connect(Role role) override {
    if (role == Role::kDriver) {
      accept_peer();
    } else {
      sockaddr_in addr = loopback(port_);
      connect_to(reinterpret_cast<sockaddr*>(&addr), sizeof addr, AF_INET);
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
    return out;
  }

 protected:
  void tune(int fd) override {
    int one = 1;
    checked("setsockopt(TCP_NODELAY)", what_, [&] {
      return ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    });
  }

 private:
  static sockaddr_in loopback(int port) {
    sockaddr_in a;
    std::memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
  }
  int port_ = 0;
};

}  // namespace

TransportInfo tcp_transport() {
  Capabilities caps;
  caps.limits =
      "127.0.0.1 only, TCP_NODELAY; buffers from net.ipv4.tcp_wmem/"
      "tcp_rmem (applied size recorded)";
  return {"tcp", "TCP over loopback 127.0.0.1, TCP_NODELAY", caps,
          [](const Config& c) { return std::make_unique<TcpTransport>(c); },
          [] { return std::optional<std::string>(); }};
}

}  // namespace ipcb::transports
