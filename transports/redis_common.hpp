// Shared code of the Redis transports (redis_list, redis_pubsub,
// redis_stream): a private redis-server per benchmark run (daemon.hpp), and
// hiredis connections to it over its Unix socket in the run's private 0700
// directory.
//
// Contract. The driver's prepare() writes redis.conf into the private
// directory and starts redis-server on it: `port 0` (no TCP listener), the
// socket <dir>/redis.sock with mode 0700, no persistence (`save ""`,
// `appendonly no`), proto-max-bulk-len 64 MiB (a 1 MiB message is one bulk
// string), client-output-buffer-limit pubsub 1 GiB hard (a subscriber that
// falls 1 GiB behind is disconnected, which its recv() reports: never a
// silent loss), maxmemory 2 GiB with noeviction (a producer that runs that
// far ahead fails with Redis's own OOM error instead of exhausting the
// machine). Ready when PING answers over the socket. Each side opens its
// connections in connect(). hiredis formats commands and parses replies;
// the socket I/O is ipcbench's own (RedisConnection), through the checked
// helpers, so that a blocked read ends as Cancelled when the harness
// cancels (hiredis's own loop would retry EINTR forever). Wait: block only
// (the client sleeps in read(); redis-server in epoll). One message is one
// Redis value: no fragmentation. Directions: "a2b" (driver to peer) and
// "b2a" (peer to driver), as list keys, channels or stream keys.
#pragma once

#include <hiredis/hiredis.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "transports/daemon.hpp"
#include "transports/transport.hpp"

namespace ipcb::transports {

struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using RedisReply = std::unique_ptr<redisReply, ReplyFree>;

// One hiredis connection, read and written by ipcbench (see above).
class RedisConnection {
 public:
  RedisConnection() = default;
  ~RedisConnection() { close(); }
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Throws "redis(<path>): <hiredis error>". With `timeout_ms` > 0, a
  // read or write that waits longer fails (SO_RCVTIMEO/SO_SNDTIMEO).
  void open(const std::string& socket_path, int timeout_ms = 0);
  void close() noexcept;
  bool is_open() const { return c_ != nullptr; }
  // Queues a command (arguments are binary-safe).
  void append(const std::vector<std::string_view>& args);
  void flush();
  // The next reply; an error reply throws "redis-server: <its error>".
  RedisReply read();
  RedisReply command(const std::vector<std::string_view>& args) {
    append(args);
    flush();
    return read();
  }

 private:
  redisContext* c_ = nullptr;
  std::string what_;
  std::vector<char> buf_ = std::vector<char>(64 * 1024);
  std::vector<const char*> argv_;
  std::vector<std::size_t> lens_;
};

// Why the Redis transports cannot run here (no redis-server), or nothing.
std::optional<std::string> redis_unavailable();

// "redis-server <what>: expected <kind>" unless `r` is of `type`.
void expect_reply(const redisReply* r, int type, const char* what);

class RedisTransport : public Transport {
 public:
  explicit RedisTransport(const Config& c);
  void prepare() override;
  nlohmann::json handoff() const override;
  void adopt(const nlohmann::json& h) override;
  void teardown() noexcept override;
  std::vector<int> daemon_pids() const override;
  std::map<std::string, std::int64_t> applied_settings() const override;
  Capacity capacity() const override;

 protected:
  // Opens `conn` to this run's redis-server.
  void open(RedisConnection& conn) const { conn.open(socket_); }
  // This side's command connection (pub/sub: where it publishes), closed
  // by teardown().
  RedisConnection conn_;
  // This side's keys: where it sends, where it receives.
  void set_role(Role role);
  const std::string& out_key() const { return out_; }
  const std::string& in_key() const { return in_; }
  const Config& config() const { return config_; }
  // Copies a bulk-string reply into a message buffer of n bytes.
  static void copy_message(const redisReply* r, std::byte* d, std::size_t n,
                           const char* what);

 private:
  Config config_;
  std::string socket_;
  std::string out_ = "a2b", in_ = "b2a";
  Daemon daemon_;
};

}  // namespace ipcb::transports
