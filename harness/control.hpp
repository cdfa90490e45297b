// The control channel between driver and peer: a SOCK_SEQPACKET socketpair
// carrying one JSON document per packet. It is the start gate and the way
// the peer reports results or errors; it is never the transport under test.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "sys/fd.hpp"

namespace ipcb::harness {

class Control {
 public:
  Control() = default;
  explicit Control(sys::Fd fd) : fd_(std::move(fd)) {}

  // Creates the pair: [0] stays in the driver, [1] goes to the peer.
  static std::pair<sys::Fd, sys::Fd> make_pair();

  void send(const nlohmann::json& msg);
  // Blocks for the next message; throws when the other side has closed.
  nlohmann::json recv();
  // Waits up to timeout_ms; nullopt on timeout or when the other side closed.
  std::optional<nlohmann::json> poll_recv(int timeout_ms);
  int fd() const { return fd_.get(); }
  void close() { fd_.reset(); }

 private:
  sys::Fd fd_;
};

}  // namespace ipcb::harness
