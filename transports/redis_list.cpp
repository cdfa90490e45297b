// redis_list: two Redis lists in a private redis-server (redis_common.hpp),
// one per direction: send() is LPUSH <key> <message> and returns once
// redis-server acknowledged it (the message is then stored in the server);
// recv() is BRPOP <key> 0. Every message crosses two hops (client to
// redis-server, redis-server to client) and redis-server's event loop.
// Limits: proto-max-bulk-len 64 MiB; maxmemory 2 GiB (noeviction) bounds
// what a producer may queue ahead. Wait: block.
#include <string_view>

#include "transports/redis_common.hpp"
#include "transports/registry.hpp"

namespace ipcb::transports {
namespace {

class RedisListTransport final : public RedisTransport {
 public:
  using RedisTransport::RedisTransport;

  void connect(Role role) override {
    set_role(role);
    open(conn_);
  }
  void send(const std::byte* d, std::size_t n) override {
    RedisReply r =
        conn_.command({"LPUSH", out_key(),
                       std::string_view(reinterpret_cast<const char*>(d), n)});
    expect_reply(r.get(), REDIS_REPLY_INTEGER, "LPUSH");
  }
  void recv(std::byte* d, std::size_t n) override {
    RedisReply r = conn_.command({"BRPOP", in_key(), "0"});
    expect_reply(r.get(), REDIS_REPLY_ARRAY, "BRPOP");
    if (r->elements != 2)
      throw std::runtime_error("redis-server BRPOP: not a [key, value] reply");
    copy_message(r->element[1], d, n, "BRPOP");
  }
};

}  // namespace

TransportInfo redis_list_transport() {
  Capabilities caps;
  caps.preserves_boundaries = true;
  caps.limits =
      "private redis-server (Unix socket, no persistence); proto-max-bulk-len "
      "64 MiB; maxmemory 2 GiB noeviction bounds the queue";
  return {
      "redis_list",
      "Redis LPUSH/BRPOP, two lists, private redis-server over its Unix "
      "socket (hiredis)",
      caps,
      [](const Config& c) { return std::make_unique<RedisListTransport>(c); },
      redis_unavailable};
}

}  // namespace ipcb::transports
