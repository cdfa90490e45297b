// Shared code of the Unix domain message socket transports (unix_dgram,
// unix_seqpacket): a connected AF_UNIX socketpair of the given type, created
// in prepare(); the peer inherits one end across exec. Nothing is named, so
// nothing is left behind and no other process can connect or inject.
//
// Contract. Both socket types keep message boundaries and are reliable and
// ordered (the sender blocks when the send buffer is full; nothing is ever
// dropped). One datagram can carry at most SO_SNDBUF - 32 bytes (else
// EMSGSIZE), so send() fragments a message into datagrams of at most
// fragment_bytes(SO_SNDBUF) and recv() reassembles datagrams straight into
// the caller's buffer until the n bytes it expects have arrived. No header is
// needed: order is guaranteed and the receiver knows n. A datagram longer
// than what is still expected is reported (MSG_TRUNC), never cut silently.
#pragma once

#include <sys/socket.h>

#include <string>

#include "sys/fd.hpp"
#include "transports/transport.hpp"

namespace ipcb::transports {

// The largest datagram payload sent on a socket whose applied SO_SNDBUF is
// sndbuf_bytes: the largest power of two <= (sndbuf - 32) / 2, so that at
// least two datagrams fit in the send buffer (the sender fills the next one
// while the receiver copies the last), capped at 64 KiB (above that the
// kernel needs high-order contiguous allocations for each datagram).
std::size_t unix_fragment_bytes(int sndbuf_bytes);

// unix_fragment_bytes() for net.core.wmem_default, the SO_SNDBUF a new
// socket gets.
std::size_t unix_default_fragment_bytes();

// Sends n bytes as consecutive datagrams of at most fragment bytes each.
void send_fragmented(int fd, const std::byte* d, std::size_t n,
                     std::size_t fragment, std::string_view object);
// Receives datagrams into d until exactly n bytes arrived.
void recv_fragmented(int fd, std::byte* d, std::size_t n,
                     std::string_view object);

class UnixMessageSocketTransport : public Transport {
 public:
  // type: SOCK_DGRAM or SOCK_SEQPACKET; what names the object in errors.
  UnixMessageSocketTransport(int type, std::string what)
      : type_(type), what_(std::move(what)) {}

  void prepare() override;
  std::vector<int> inherited_fds() const override { return {theirs_.get()}; }
  nlohmann::json handoff() const override { return {{"fd", theirs_.get()}}; }
  void adopt(const nlohmann::json& h) override;
  void connect(Role role) override;
  void send(const std::byte* d, std::size_t n) override {
    send_fragmented(mine_.get(), d, n, fragment_, what_);
  }
  void recv(std::byte* d, std::size_t n) override {
    recv_fragmented(mine_.get(), d, n, what_);
  }
  void teardown() noexcept override {}  // nothing named
  std::map<std::string, std::int64_t> applied_settings() const override;

 private:
  int type_;
  std::string what_;
  sys::Fd mine_, theirs_;
  std::size_t fragment_ = 0;
};

}  // namespace ipcb::transports
