// unix_seqpacket: an AF_UNIX SOCK_SEQPACKET socketpair created in prepare(),
// one end inherited by the peer (no socket file, nothing to clean up). A
// connected, reliable, ordered socket that keeps message boundaries; unlike
// unix_dgram the other side closing shows up as end-of-file.
// Limits: as unix_dgram, one packet carries at most SO_SNDBUF - 32 bytes
// (net.core.wmem_default, raisable to net.core.wmem_max), so messages are
// FRAGMENTED into packets of fragment_max_bytes (power of two, at most half
// the applied SO_SNDBUF, at most 64 KiB; recorded) and reassembled.
#include "transports/message_socket.hpp"
#include "transports/registry.hpp"

namespace ipcb::transports {

TransportInfo unix_seqpacket_transport() {
  Capabilities caps;
  caps.preserves_boundaries = true;
  caps.limits =
      "packet <= SO_SNDBUF-32 (net.core.wmem_default): messages fragmented "
      "into <= 64 KiB packets (fragment_max_bytes recorded)";
  // Fan-in: producers share the inherited end; one packet is atomic.
  caps.fanin_max_bytes = unix_default_fragment_bytes();
  // Fragments are at most 64 KiB by design; below that the send buffer
  // is what limits them.
  if (caps.fanin_max_bytes < 65536) {
    caps.fragment_above_bytes = caps.fanin_max_bytes;
    caps.fragment_knob =
        "net.core.wmem_default (sysctl -w net.core.wmem_default=212992)";
  }
  return {"unix_seqpacket",
          "Unix domain seqpacket socketpair (inherited, no file)", caps,
          [](const Config&) {
            return std::make_unique<UnixMessageSocketTransport>(
                SOCK_SEQPACKET, "unix_seqpacket socketpair");
          },
          [] { return std::optional<std::string>(); }};
}

}  // namespace ipcb::transports
