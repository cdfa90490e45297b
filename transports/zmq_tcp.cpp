// zmq_tcp: ZeroMQ PAIR sockets over TCP on loopback. The driver binds
// tcp://127.0.0.1:* (an ephemeral port on 127.0.0.1 only; ZMQ_IPV6 stays
// off), reads the port back from ZMQ_LAST_ENDPOINT and hands the endpoint to
// the peer, which connects. ZeroMQ sets TCP_NODELAY on every TCP connection
// itself (libzmq tune_tcp_socket; tests/sockets_test.cpp checks it). Limits:
// none of its own; ZMQ_SNDHWM/RCVHWM cap each queue at ~8 MiB (recorded);
// kernel buffers from net.ipv4.tcp_wmem/tcp_rmem. Across hosts
// (Config::peer_listens()): the peer binds Config::listen_address and the
// driver connects (zmq_pair.hpp: the PLAIN/ZAP token check).
#include "transports/registry.hpp"
#include "transports/zmq_pair.hpp"

namespace ipcb::transports {

TransportInfo zmq_tcp_transport() {
  Capabilities caps;
  caps.preserves_boundaries = true;
  caps.fanin_max_bytes = kAnySize;  // PUSH/PULL, one zmq message each
  caps.fanout = Fanout::kMayDrop;   // XPUB/SUB: PUB drops at the HWM
  caps.crosses_hosts = true;        // PAIR only
  caps.limits =
      "127.0.0.1 (or --remote's host); no size limit (one zmq message per "
      "message); "
      "SNDHWM/RCVHWM sized to ~8 MiB per queue (recorded); TCP_NODELAY set "
      "by ZeroMQ";
  return {"zmq_tcp",
          "ZeroMQ PAIR (fan-in: PUSH/PULL, fan-out: XPUB/SUB) over TCP "
          "loopback 127.0.0.1",
          caps,
          [](const Config& c) {
            return std::make_unique<ZmqPairTransport>(c, "tcp://127.0.0.1:*");
          },
          [] { return std::optional<std::string>(); }};
}

}  // namespace ipcb::transports
