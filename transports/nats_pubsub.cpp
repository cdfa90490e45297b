// nats_pubsub: NATS publish/subscribe through a private nats-server
// (nats_common.hpp) on 127.0.0.1, one subject per direction ("a2b", "b2a").
// send() is natsConnection_Publish (written to the socket at once); recv()
// takes the next message of a synchronous subscription. Every message
// crosses two TCP hops through nats-server. Each side subscribes in its
// connect() and flushes, so its subscription is in effect before the start
// gate; the driver's connect() then knows the peer's is too (the harness
// starts it only after every peer's connect()).
// Pending limits: two-way, INT_MAX messages and bytes (nothing is dropped in
// practice; a drop is an error, never a silent loss). Fan-out
// (Config::consumers = N, every consumer subscribes to "a2b"): kMayDrop, the
// publisher never waits; each consumer holds at most 65536 messages or
// 64 MiB (libnats's defaults, set explicitly and recorded) and libnats drops
// whole messages beyond them (a slow consumer), which the scenario counts as
// loss. Wait: block.
#include <climits>

#include "transports/nats_common.hpp"
#include "transports/registry.hpp"

namespace ipcb::transports {
namespace {

constexpr int kFanoutPendingMessages = 65536;
constexpr int kFanoutPendingBytes = 64 << 20;

class NatsPubsubTransport final : public NatsTransport {
 public:
  using NatsTransport::NatsTransport;

  void connect(Role role) override {
    open();
    const bool driver = role == Role::kDriver;
    out_ = driver ? "a2b" : "b2a";
    fanout_ = config().consumers > 0;
    if (fanout_ && driver) return;  // the producer only sends
    const std::string in = driver ? "b2a" : "a2b";
    sub_ = fanout_ ? subscribe(in, kFanoutPendingMessages, kFanoutPendingBytes)
                   : subscribe(in, INT_MAX, INT_MAX);
  }
  void send(const std::byte* d, std::size_t n) override {
    nats_check(
        natsConnection_Publish(conn(), out_.c_str(), d, static_cast<int>(n)),
        "natsConnection_Publish", out_);
  }
  void recv(std::byte* d, std::size_t n) override {
    copy_message(next(sub_, fanout_), d, n);
  }

 private:
  std::string out_;
  bool fanout_ = false;
};

}  // namespace

TransportInfo nats_pubsub_transport() {
  Capabilities caps;
  caps.preserves_boundaries = true;
  caps.crosses_hosts = true;
  caps.fanout = Fanout::kMayDrop;
  caps.limits =
      "private nats-server on 127.0.0.1 or the peer's host (token); "
      "max_payload 8 MiB; fan-out "
      "pending limits 65536 msgs / 64 MiB per consumer (drops beyond)";
  return {
      "nats_pubsub",
      "NATS publish/subscribe, two subjects, private nats-server on "
      "127.0.0.1 (libnats)",
      caps,
      [](const Config& c) { return std::make_unique<NatsPubsubTransport>(c); },
      nats_unavailable};
}

}  // namespace ipcb::transports
