// Shared code of the ZeroMQ transports (zmq_ipc, zmq_tcp): one ZMQ_PAIR
// socket per side (an exclusive pair suits one producer / one consumer);
// for fan-in (Config::producers > 0) the driver binds a ZMQ_PULL socket,
// which fair-queues, and each producer connects a ZMQ_PUSH socket. The
// driver creates its context and socket and binds in prepare(); the peer
// creates its own context in connect() (never across the fork) and connects
// to the endpoint handed off. One ZeroMQ message per transport message: no
// fragmentation (ZeroMQ has no small size limit); send copies the payload
// into a zmq message, recv copies it out into the caller's buffer.
//
// Contract. ZMQ_LINGER 0 (closing never waits for undelivered messages).
// ZMQ_SNDHWM/ZMQ_RCVHWM are sized so that each queue holds at most ~8 MiB
// (at most ZeroMQ's default of 1000 messages, at least 4): a 1 MiB stream
// cannot queue gigabytes. Under --capacity=equal a direction's messages
// wait in the sender's queue and the receiver's: each gets half the budget,
// SNDHWM = RCVHWM = max(1, budget / 2 / message size) (the kernel socket
// buffers beneath stay as the OS ships them, and are not counted). A blocked
// zmq_send/zmq_recv returns EINTR on a signal: it is retried, or ends as
// Cancelled once the harness cancelled. Authentication: PAIR takes the first
// connection, which on tcp:// any local user could make; the peer's first
// message is a 16-byte random token handed over privately at spawn, and the
// driver refuses anything else; in fan-in it expects one token per producer
// before any other message (no producer sends more before the start gate, which
// follows connect()).
// Across hosts (Config::peer_listens(), tcp:// only): the roles invert. The
// peer's prepare() binds tcp://<Config::listen_address>:* and hands off the
// port and the token; the driver connects to Config::remote_host at that
// port and its first message is the token, which the peer checks. Before
// that, ZeroMQ's own handshake authenticates: the peer is a PLAIN server
// whose ZAP handler (served by the peer's connect()) accepts only the
// password that is the token, so a connection without it never takes the
// PAIR and the peer keeps waiting for the real driver (counted as
// rejected_connections). Fan-in and fan-out are not offered across hosts.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <zmq.hpp>

#include "transports/transport.hpp"

namespace ipcb::transports {

class ZmqPairTransport : public Transport {
 public:
  // bind_endpoint: what the driver binds ("tcp://127.0.0.1:*").
  ZmqPairTransport(const Config& c, std::string bind_endpoint);

  void prepare() override;
  nlohmann::json handoff() const override;
  void adopt(const nlohmann::json& h) override;
  void connect(Role role) override;
  void send(const std::byte* d, std::size_t n) override;
  void recv(std::byte* d, std::size_t n) override;
  void teardown() noexcept override;
  std::map<std::string, std::int64_t> applied_settings() const override;
  std::vector<int> own_threads() const override;
  Capacity capacity() const override;

 protected:
  const std::string& endpoint() const { return endpoint_; }

 private:
  void open_socket(zmq::socket_type type);
  void await_subscriptions();
  void serve_zap();    // across hosts, the peer: until the driver is admitted
  void check_token();  // the bound side: the other's first message
  [[noreturn]] void fail(const char* call, const zmq::error_t& e) const;

  std::string bind_endpoint_;
  std::string endpoint_;  // as bound (ZMQ_LAST_ENDPOINT), e.g. the real port
  std::size_t message_bytes_;
  std::size_t asked_;  // Config::capacity_bytes
  int hwm_;
  int producers_;                      // Config::producers: 0 for PAIR
  int consumers_;                      // Config::consumers: 0 for PAIR
  std::optional<zmq::context_t> ctx_;  // created with the socket
  // The prefix of its context's thread names ("<n>/ZMQbg/IO/0"), unique
  // among the contexts of this process.
  std::string thread_prefix_;
  zmq::socket_t socket_;
  std::array<unsigned char, 16> token_{};  // the peer's first message
  bool listens_ = false;  // across hosts: the peer binds, the driver connects
  std::string listen_host_, remote_host_;
  bool ipv6_ = false;
  int port_ = 0;
  zmq::socket_t zap_;  // across hosts, the peer: its ZAP handler
  std::int64_t rejected_ = 0;
};

}  // namespace ipcb::transports
