#include "transports/redis_common.hpp"

#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "sys/cancel.hpp"
#include "sys/checked.hpp"

namespace ipcb::transports {

namespace {

constexpr char kConfig[] =
    "port 0\n"
    "unixsocketperm 700\n"
    "daemonize no\n"
    "save \"\"\n"
    "appendonly no\n"
    "databases 1\n"
    "logfile \"\"\n"
    "loglevel notice\n"
    "proto-max-bulk-len 64mb\n"
    "client-output-buffer-limit normal 0 0 0\n"
    "client-output-buffer-limit pubsub 1gb 1gb 0\n"
    "maxmemory 2gb\n"
    "maxmemory-policy noeviction\n";

}  // namespace

void RedisConnection::open(const std::string& socket_path, int timeout_ms) {
  close();
  what_ = "redis(" + socket_path + ")";
  const timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  c_ = timeout_ms > 0 ? redisConnectUnixWithTimeout(socket_path.c_str(), tv)
                      : redisConnectUnix(socket_path.c_str());
  if (c_ == nullptr) throw std::runtime_error(what_ + ": out of memory");
  if (c_->err != 0) {
    const std::string err = c_->errstr;
    close();
    throw std::runtime_error(what_ + ": " + err);
  }
  c_->reader->maxbuf = 0;  // keep the read buffer: no realloc per message
}

void RedisConnection::close() noexcept {
  if (c_ != nullptr) redisFree(c_);
  c_ = nullptr;
}

void RedisConnection::append(const std::vector<std::string_view>& args) {
  argv_.clear();
  lens_.clear();
  for (auto a : args) {
    argv_.push_back(a.data());
    lens_.push_back(a.size());
  }
  if (redisAppendCommandArgv(c_, static_cast<int>(argv_.size()), argv_.data(),
                             lens_.data()) != REDIS_OK)
    throw std::runtime_error(what_ + ": " + c_->errstr);
}

void RedisConnection::flush() {
  int done = 0;
  while (!done) {
    if (redisBufferWrite(c_, &done) != REDIS_OK)
      throw std::runtime_error("write(" + what_ + "): " + c_->errstr);
    if (!done && sys::cancelled()) sys::throw_cancelled("write", what_);
  }
}

RedisReply RedisConnection::read() {
  for (;;) {
    void* r = nullptr;
    if (redisReaderGetReply(c_->reader, &r) != REDIS_OK)
      throw std::runtime_error(what_ +
                               ": protocol error: " + c_->reader->errstr);
    if (r != nullptr) {
      RedisReply reply(static_cast<redisReply*>(r));
      if (reply->type == REDIS_REPLY_ERROR)
        throw std::runtime_error("redis-server: " +
                                 std::string(reply->str, reply->len));
      return reply;
    }
    const ssize_t n = sys::checked("read", what_, [&] {
      return ::read(c_->fd, buf_.data(), buf_.size());
    });
    if (n == 0)
      throw std::runtime_error(
          what_ +
          ": redis-server closed the connection (it stopped, or "
          "disconnected a subscriber beyond client-output-buffer-limit)");
    if (redisReaderFeed(c_->reader, buf_.data(), static_cast<std::size_t>(n)) !=
        REDIS_OK)
      throw std::runtime_error(what_ + ": protocol error");
  }
}

std::optional<std::string> redis_unavailable() {
  if (find_executable("redis-server").empty())
    return "redis-server not found in PATH (apt-get install redis-server)";
  return std::nullopt;
}

void expect_reply(const redisReply* r, int type, const char* what) {
  if (r->type != type)
    throw std::runtime_error(std::string("redis-server ") + what +
                             ": unexpected reply type " +
                             std::to_string(r->type));
}

RedisTransport::RedisTransport(const Config& c)
    : config_(c), socket_(c.dir + "/redis.sock") {}

void RedisTransport::prepare() {
  if (auto why = redis_unavailable()) throw std::runtime_error(*why);
  const std::string exe = find_executable("redis-server");
  DaemonSpec spec{"redis-server",
                  exe,
                  {config_.dir + "/redis.conf"},
                  config_.dir,
                  "redis.conf",
                  std::string(kConfig) + "unixsocket " + socket_ + "\ndir " +
                      config_.dir + "\n",
                  "redis.log"};
  daemon_.start(spec);
  daemon_.wait_ready([&] {
    if (::access(socket_.c_str(), F_OK) != 0) return false;
    RedisConnection probe;
    try {
      probe.open(socket_, 1000);  // the wait stays bounded
      RedisReply r = probe.command({"PING"});
      return r->type == REDIS_REPLY_STATUS && std::strcmp(r->str, "PONG") == 0;
    } catch (const std::runtime_error&) {
      return false;
    }
  });
}

nlohmann::json RedisTransport::handoff() const { return {{"socket", socket_}}; }

void RedisTransport::adopt(const nlohmann::json& h) {
  socket_ = h.at("socket").get<std::string>();
}

void RedisTransport::set_role(Role role) {
  out_ = role == Role::kDriver ? "a2b" : "b2a";
  in_ = role == Role::kDriver ? "b2a" : "a2b";
}

void RedisTransport::teardown() noexcept {
  conn_.close();
  daemon_.stop();
}

std::vector<int> RedisTransport::daemon_pids() const {
  if (!daemon_.running()) return {};
  return {daemon_.pid()};
}

std::map<std::string, std::int64_t> RedisTransport::applied_settings() const {
  return {{"redis_proto_max_bulk_len_bytes", 64 << 20},
          {"redis_pubsub_output_buffer_hard_limit_bytes", 1LL << 30},
          {"redis_maxmemory_bytes", 2LL << 30}};
}

Capacity RedisTransport::capacity() const {
  Capacity c;
  c.reason =
      "redis-server queues without a limit of its own (bounded only by "
      "maxmemory 2 GiB, and 1 GiB per subscriber for pub/sub)";
  return c;
}

void RedisTransport::copy_message(const redisReply* r, std::byte* d,
                                  std::size_t n, const char* what) {
  expect_reply(r, REDIS_REPLY_STRING, what);
  if (r->len != n)
    throw std::runtime_error(std::string("redis-server ") + what +
                             ": a message of " + std::to_string(r->len) +
                             " bytes arrived when " + std::to_string(n) +
                             " were expected");
  std::memcpy(d, r->str, n);
}

}  // namespace ipcb::transports
