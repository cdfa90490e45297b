// nats_request: NATS request/reply through a private nats-server
// (nats_common.hpp) on 127.0.0.1. The driver's send() publishes a request on
// subject "req" with its own inbox as the reply subject
// (natsConnection_PublishRequest); its next recv() takes the reply from that
// inbox: together one request, as natsConnection_Request makes it. The
// peer's recv() takes the next request and keeps its reply subject; its
// send() publishes the reply there. Each message crosses two TCP hops
// through nats-server. Only scenarios where each driver send() is answered
// by one recv() before the next send() can use it (pingpong, oneway;
// Capabilities::request_reply): a stream of requests without replies is not
// request/reply. Pending limits INT_MAX (one message waits at a time). Wait:
// block.
#include <climits>

#include "transports/nats_common.hpp"
#include "transports/registry.hpp"

namespace ipcb::transports {
namespace {

constexpr char kSubject[] = "req";

class NatsRequestTransport final : public NatsTransport {
 public:
  using NatsTransport::NatsTransport;

  void connect(Role role) override {
    open();
    driver_ = role == Role::kDriver;
    if (driver_) {
      natsInbox* inbox = nullptr;
      nats_check(natsInbox_Create(&inbox), "natsInbox_Create", url());
      inbox_ = inbox;
      natsInbox_Destroy(inbox);
    }
    sub_ = subscribe(driver_ ? inbox_ : kSubject, INT_MAX, INT_MAX);
  }
  void send(const std::byte* d, std::size_t n) override {
    const int len = static_cast<int>(n);
    if (driver_) {
      if (pending_)
        throw std::logic_error(
            "nats_request: a second request before the "
            "reply to the first");
      nats_check(natsConnection_PublishRequest(conn(), kSubject, inbox_.c_str(),
                                               d, len),
                 "natsConnection_PublishRequest", kSubject);
      pending_ = true;
      return;
    }
    if (reply_to_.empty())
      throw std::logic_error(
          "nats_request: the peer sends only replies, one "
          "per request received");
    nats_check(natsConnection_Publish(conn(), reply_to_.c_str(), d, len),
               "natsConnection_Publish", reply_to_);
    reply_to_.clear();
  }
  void recv(std::byte* d, std::size_t n) override {
    if (driver_ && !pending_)
      throw std::logic_error(
          "nats_request: the driver receives only the "
          "reply to its request");
    natsMsg* m = next(sub_, false);
    if (!driver_) {
      const char* reply = natsMsg_GetReply(m);
      reply_to_ = reply != nullptr ? reply : "";
    }
    pending_ = false;
    copy_message(m, d, n);
    if (!driver_ && reply_to_.empty())
      throw std::runtime_error(
          "nats_request: a request without a reply "
          "subject arrived");
  }

 private:
  bool driver_ = false;
  bool pending_ = false;  // driver: a request awaits its reply
  std::string inbox_, reply_to_;
};

}  // namespace

TransportInfo nats_request_transport() {
  Capabilities caps;
  caps.preserves_boundaries = true;
  caps.crosses_hosts = true;
  caps.request_reply = true;
  caps.limits =
      "private nats-server on 127.0.0.1 or the peer's host (token); "
      "max_payload 8 MiB; "
      "request/reply: pingpong and oneway only";
  return {
      "nats_request",
      "NATS request/reply (driver send+recv = one request), private "
      "nats-server on 127.0.0.1 (libnats)",
      caps,
      [](const Config& c) { return std::make_unique<NatsRequestTransport>(c); },
      nats_unavailable};
}

}  // namespace ipcb::transports
