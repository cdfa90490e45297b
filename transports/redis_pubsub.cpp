// redis_pubsub: Redis PUBLISH/SUBSCRIBE in a private redis-server
// (redis_common.hpp), one channel per direction; each side holds two
// connections, one subscribed (where messages arrive) and one to publish.
// send() is PUBLISH <channel> <message>, returning once redis-server has
// handed it to the subscribers' output buffers (its reply counts them: fewer
// than expected means a subscriber is gone, an error, never a silent loss);
// recv() reads the next pushed message. Every message crosses two hops
// through redis-server. The driver's connect() waits (PUBSUB NUMSUB, bounded
// 10 s) until every receiver is subscribed, and subscribes itself first.
// Fan-out (Config::consumers = N): every consumer subscribes to the one
// channel; kLossless: redis-server never drops a pub/sub message, it buffers
// it for a slow subscriber up to client-output-buffer-limit pubsub (1 GiB
// here) and disconnects that subscriber beyond it, which the consumer's
// recv() reports as an error and the next PUBLISH counts as a missing
// subscriber. Wait: block.
#include <chrono>
#include <string_view>
#include <thread>

#include "sys/cancel.hpp"
#include "transports/redis_common.hpp"
#include "transports/registry.hpp"

namespace ipcb::transports {
namespace {

constexpr auto kSubscribeWait = std::chrono::seconds(10);

class RedisPubsubTransport final : public RedisTransport {
 public:
  explicit RedisPubsubTransport(const Config& c)
      : RedisTransport(c), receivers_(std::max(c.consumers, 1)) {}

  void connect(Role role) override {
    set_role(role);
    open(conn_);
    const bool fanout = config().consumers > 0;
    if (role == Role::kPeer || !fanout) subscribe();
    if (role == Role::kDriver) wait_for_receivers();
  }
  void send(const std::byte* d, std::size_t n) override {
    RedisReply r =
        conn_.command({"PUBLISH", out_key(),
                       std::string_view(reinterpret_cast<const char*>(d), n)});
    expect_reply(r.get(), REDIS_REPLY_INTEGER, "PUBLISH");
    if (r->integer < receivers_)
      throw std::runtime_error(
          "redis-server PUBLISH " + out_key() + ": reached " +
          std::to_string(r->integer) + " of " + std::to_string(receivers_) +
          " subscribers (one disconnected, or was disconnected beyond "
          "client-output-buffer-limit pubsub 1gb)");
  }
  void recv(std::byte* d, std::size_t n) override {
    RedisReply r = sub_.read();
    expect_reply(r.get(), REDIS_REPLY_ARRAY, "message");
    if (r->elements != 3 || r->element[0]->type != REDIS_REPLY_STRING ||
        std::string_view(r->element[0]->str, r->element[0]->len) != "message")
      throw std::runtime_error("redis-server: not a pub/sub message");
    copy_message(r->element[2], d, n, "message");
  }
  void teardown() noexcept override {
    sub_.close();
    RedisTransport::teardown();
  }

 private:
  // SUBSCRIBE, and its confirmation: from then on every PUBLISH reaches us.
  void subscribe() {
    open(sub_);
    RedisReply r = sub_.command({"SUBSCRIBE", in_key()});
    expect_reply(r.get(), REDIS_REPLY_ARRAY, "SUBSCRIBE");
  }
  void wait_for_receivers() {
    const auto deadline = std::chrono::steady_clock::now() + kSubscribeWait;
    for (;;) {
      RedisReply r = conn_.command({"PUBSUB", "NUMSUB", out_key()});
      expect_reply(r.get(), REDIS_REPLY_ARRAY, "PUBSUB NUMSUB");
      if (r->elements == 2 && r->element[1]->integer >= receivers_) return;
      if (sys::cancelled()) sys::throw_cancelled("PUBSUB NUMSUB", out_key());
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error(
            "redis_pubsub: only " +
            std::to_string(r->elements == 2 ? r->element[1]->integer : 0) +
            " of " + std::to_string(receivers_) + " receivers subscribed to " +
            out_key() + " within 10 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  long long receivers_;
  RedisConnection sub_;
};

}  // namespace

TransportInfo redis_pubsub_transport() {
  Capabilities caps;
  caps.preserves_boundaries = true;
  caps.fanout = Fanout::kLossless;
  caps.limits =
      "private redis-server (Unix socket, no persistence); proto-max-bulk-len "
      "64 MiB; a subscriber 1 GiB behind is disconnected (an error, not a "
      "loss)";
  return {
      "redis_pubsub",
      "Redis PUBLISH/SUBSCRIBE, two channels, private redis-server over "
      "its Unix socket (hiredis)",
      caps,
      [](const Config& c) { return std::make_unique<RedisPubsubTransport>(c); },
      redis_unavailable};
}

}  // namespace ipcb::transports
