// NetControl: the control channel between an ipcbench driver and an
// `ipcbench --serve` server on another host: one TCP connection carrying
// one JSON document per frame (a 4-byte big-endian length, then the text;
// frames above kMaxFrameBytes are refused). It carries the handshake, the
// clock exchanges and each benchmark's setup, gates and results; it is
// never the transport under test.
//
// Contract. Every wait is bounded or cancellable: recv_within() gives up
// after its timeout; recv() blocks, but a blocked read ends with
// sys::Cancelled when the harness cancels the run (checked() calls). A
// closed or reset connection is a std::runtime_error naming the peer.
// TCP_NODELAY is set, and keep-alive probes end a connection whose other
// end vanished silently (no FIN, no RST) within about kDeadPeerS seconds.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "sys/fd.hpp"

namespace ipcb::harness {

inline constexpr std::size_t kMaxFrameBytes = std::size_t{4} << 20;
inline constexpr int kDeadPeerS = 20;
// The version of the messages driver and server exchange.
inline constexpr int kRemoteProtocol = 1;

// "HOST:PORT", "[v6]:PORT", or ":PORT" / "PORT" (host empty). Throws
// std::invalid_argument naming `flag` and what is expected.
struct HostPort {
  std::string host;
  int port = 0;
  std::string text() const;
};
HostPort parse_host_port(const std::string& text, const std::string& flag,
                         bool port_zero_ok);

class NetControl {
 public:
  NetControl() = default;
  // Takes a connected TCP socket; sets TCP_NODELAY and keep-alive.
  NetControl(sys::Fd fd, std::string who);

  // Connects to `to` within timeout_ms (retrying refused connections
  // until then); throws with the host and the reason.
  static NetControl dial(const HostPort& to, int timeout_ms);

  void send(const nlohmann::json& msg);
  nlohmann::json recv();
  // nullopt when nothing arrived within timeout_ms (a frame that started
  // arriving is read to its end within the same limit).
  std::optional<nlohmann::json> recv_within(int timeout_ms);

  bool is_open() const { return static_cast<bool>(fd_); }
  int fd() const { return fd_.get(); }
  const std::string& who() const { return who_; }
  // The local address of the connection: the address the other side
  // reached us at.
  std::string local_host() const;
  std::string remote_host() const;
  void close() { fd_.reset(); }
  // Ends the connection for both sides (wakes a thread blocked on it).
  void shutdown() noexcept;

 private:
  sys::Fd fd_;
  std::string who_;
};

}  // namespace ipcb::harness
