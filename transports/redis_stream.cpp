// redis_stream: two Redis streams in a private redis-server
// (redis_common.hpp), one per direction: send() is XADD <key> * m <message>
// (returning once redis-server acknowledged it); recv() is XREAD COUNT 1
// BLOCK 0 STREAMS <key> <last id read>. Memory stays bounded by what is
// unread: the receiver deletes each entry it has read (XDEL), sent in the
// same write as its next XREAD (one round trip per message, two replies).
// No MAXLEN trimming: it would drop entries not yet read. Every message
// crosses two hops through redis-server. Limits: proto-max-bulk-len 64 MiB;
// maxmemory 2 GiB noeviction bounds what a producer may queue ahead. Wait:
// block.
#include <string_view>

#include "transports/redis_common.hpp"
#include "transports/registry.hpp"

namespace ipcb::transports {
namespace {

class RedisStreamTransport final : public RedisTransport {
 public:
  using RedisTransport::RedisTransport;

  void connect(Role role) override {
    set_role(role);
    open(conn_);
  }
  void send(const std::byte* d, std::size_t n) override {
    RedisReply r =
        conn_.command({"XADD", out_key(), "*", "m",
                       std::string_view(reinterpret_cast<const char*>(d), n)});
    expect_reply(r.get(), REDIS_REPLY_STRING, "XADD");
  }
  void recv(std::byte* d, std::size_t n) override {
    const bool drop_last = last_id_ != "0";
    if (drop_last) conn_.append({"XDEL", in_key(), last_id_});
    conn_.append(
        {"XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", in_key(), last_id_});
    conn_.flush();
    if (drop_last) {
      RedisReply del = conn_.read();
      expect_reply(del.get(), REDIS_REPLY_INTEGER, "XDEL");
    }
    RedisReply r = conn_.read();
    // [[key, [[id, [field, value]]]]]
    expect_reply(r.get(), REDIS_REPLY_ARRAY, "XREAD");
    const redisReply* entries = r->elements == 1 && r->element[0]->elements == 2
                                    ? r->element[0]->element[1]
                                    : nullptr;
    if (entries == nullptr || entries->elements != 1 ||
        entries->element[0]->elements != 2 ||
        entries->element[0]->element[1]->elements != 2)
      throw std::runtime_error("redis-server XREAD: not one stream entry");
    const redisReply* entry = entries->element[0];
    last_id_.assign(entry->element[0]->str, entry->element[0]->len);
    copy_message(entry->element[1]->element[1], d, n, "XREAD");
  }

 private:
  std::string last_id_ = "0";
};

}  // namespace

TransportInfo redis_stream_transport() {
  Capabilities caps;
  caps.preserves_boundaries = true;
  caps.limits =
      "private redis-server (Unix socket, no persistence); proto-max-bulk-len "
      "64 MiB; entries deleted once read (XDEL); maxmemory 2 GiB noeviction";
  return {
      "redis_stream",
      "Redis XADD/XREAD BLOCK, two streams, private redis-server over its "
      "Unix socket (hiredis)",
      caps,
      [](const Config& c) { return std::make_unique<RedisStreamTransport>(c); },
      redis_unavailable};
}

}  // namespace ipcb::transports
