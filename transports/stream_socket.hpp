// Shared code of connection-oriented stream socket transports (unix_stream,
// tcp): the driver listens in prepare() and accepts in connect(); the peer
// connects. send/recv loop until the whole message moved.
// Capacity (--capacity=equal): the buffers set in set_capacity() are applied
// to the listener before listen(), to the peer's socket before connect()
// and to the accepted connection, so that TCP's window scale is chosen with
// them; capacity() reads them back from the driver's connection.
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
  Capacity capacity() const override;

 protected:
  // Driver side of connect(): accept one connection, close the listener.
  void accept_peer();
  // Peer side of connect(): connect to addr.
  void connect_to(const sockaddr* addr, socklen_t len, int family);
  virtual void tune(int fd) { (void)fd; }
  // Per-direction budget `asked` (0: the kernel's defaults) as SO_SNDBUF
  // and SO_RCVBUF payload bytes; `with_rcvbuf`: the receive buffer holds
  // part of a direction's data too (TCP), so it counts.
  void set_capacity(std::size_t asked, std::size_t sndbuf, std::size_t rcvbuf,
                    bool with_rcvbuf);
  // Sizes a socket's buffers (no-op under the default capacity).
  void size_buffers(int fd) const;

  sys::Fd listener_;
  sys::Fd conn_;
  std::string what_;  // names the object in errors: "unix socket /tmp/..."
  std::size_t asked_ = 0, sndbuf_ = 0, rcvbuf_ = 0;
  bool with_rcvbuf_ = false;
};

}  // namespace ipcb::transports
