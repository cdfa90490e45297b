// unix_dgram: an AF_UNIX SOCK_DGRAM socketpair created in prepare(), one end
// inherited by the peer (no socket file: a socketpair needs no name, leaves
// nothing to clean up, and no other process can send to it). On Linux Unix
// datagrams are reliable and ordered: a full send buffer blocks the sender,
// nothing is dropped, boundaries are kept.
// Limits: one datagram carries at most SO_SNDBUF - 32 bytes (SO_SNDBUF from
// net.core.wmem_default, raisable to net.core.wmem_max), so messages are
// FRAGMENTED into datagrams of fragment_max_bytes (power of two, at most
// half the applied SO_SNDBUF, at most 64 KiB; recorded) and reassembled by
// the receiver. net.unix.max_dgram_qlen does not apply to a socketpair (the
// kernel skips it when the receiver's peer is the sender).
#include "transports/message_socket.hpp"
#include "transports/registry.hpp"

namespace ipcb::transports {

TransportInfo unix_dgram_transport() {
  Capabilities caps;
  caps.preserves_boundaries = true;
  caps.limits =
      "datagram <= SO_SNDBUF-32 (net.core.wmem_default): messages fragmented "
      "into <= 64 KiB datagrams (fragment_max_bytes recorded)";
  // Fan-in: producers share the inherited end; one datagram is atomic.
  caps.fanin_max_bytes = unix_default_fragment_bytes();
  // Fragments are at most 64 KiB by design; below that the send buffer
  // is what limits them.
  if (caps.fanin_max_bytes < 65536) {
    caps.fragment_above_bytes = caps.fanin_max_bytes;
    caps.fragment_knob =
        "net.core.wmem_default (sysctl -w net.core.wmem_default=212992)";
  }
  return {"unix_dgram", "Unix domain datagram socketpair (inherited, no file)",
          caps,
          [](const Config&) {
            return std::make_unique<UnixMessageSocketTransport>(
                SOCK_DGRAM, "unix_dgram socketpair");
          },
          [] { return std::optional<std::string>(); }};
}

}  // namespace ipcb::transports
