// Shared code of connection-oriented stream socket transports (unix_stream,
// tcp): the driver listens in prepare() and accepts in connect(); the peer
// connects. send/recv loop until the whole message moved.
#pragma once

#include <sys/socket.h>

#include <string>

#include "sys/fd.hpp"
#include "transports/transport.hpp"

namespace ipcb::transports {

class StreamSocketTransport : public Transport {
 public:
  void send(const std::byte* d, std::size_t n) override;
  void recv(std::byte* d, std::size_t n) override;
  std::map<std::string, std::int64_t> applied_settings() const override;

 protected:
  // Driver side of connect(): accept one connection, close the listener.
  void accept_peer();
  // Peer side of connect(): connect to addr.
  void connect_to(const sockaddr* addr, socklen_t len, int family);
  virtual void tune(int fd) { (void)fd; }

  sys::Fd listener_;
  sys::Fd conn_;
  std::string what_;  // names the object in errors: "unix socket /tmp/..."
};

}  // namespace ipcb::transports
