// Shared code of the NATS transports (nats_pubsub, nats_request): a private
// nats-server per benchmark run (daemon.hpp) and libnats connections to it.
//
// Contract. The driver's prepare() writes nats.conf into the private
// directory and starts nats-server on it: listening on 127.0.0.1 only, on a
// port the kernel chooses (`port: -1`; learnt from the ports file nats-server
// writes into the private directory, `ports_file_dir`), clients required to
// present a random 128-bit token (`authorization { token }`, in the 0600
// config file, never on the command line that ps(1) shows; handed to the
// peer over the private control channel), max_payload 8 MiB (a 1 MiB
// message plus framing; nats-server accepts up to 64 MB), max_pending
// 256 MiB per client. Ready when a client connects with the token. Each side
// connects in connect(): no reconnection (a lost server is an error),
// SendAsap (a publish is written at once, not by libnats's flusher thread).
// Messages are plain NATS messages, one per transport message (no
// fragmentation). libnats runs threads of its own per connection (the
// reader, the flusher) and per process: those started by this transport's
// connect() are its own_threads(). Wait: block (recv waits on libnats's
// condition variable, waking every 100 ms to honour cancellation).
// Across hosts (Config::peer_listens()): the peer's prepare() starts the
// nats-server, listening on Config::listen_address, and hands off its port
// and the token; the driver connects to Config::remote_host at that port
// and has no daemon of its own (daemon_pids() is empty). Fan-out is not
// offered across hosts.
#pragma once

#include <nats/nats.h>

#include <optional>
#include <string>

#include "transports/daemon.hpp"
#include "transports/transport.hpp"

namespace ipcb::transports {

// Why the NATS transports cannot run here (no nats-server), or nothing.
std::optional<std::string> nats_unavailable();

// Throws "<call>(<what>): <libnats's text>" unless s is NATS_OK.
void nats_check(natsStatus s, const char* call, const std::string& what);

class NatsTransport : public Transport {
 public:
  explicit NatsTransport(const Config& c);
  ~NatsTransport() override;
  void prepare() override;
  nlohmann::json handoff() const override;
  void adopt(const nlohmann::json& h) override;
  void teardown() noexcept override;
  std::vector<int> daemon_pids() const override;
  std::vector<int> own_threads() const override { return threads_; }
  std::map<std::string, std::int64_t> applied_settings() const override;
  Capacity capacity() const override;

 protected:
  // Connects to this run's nats-server (once per side).
  void open();
  natsConnection* conn() const { return conn_; }
  const std::string& url() const { return url_; }
  const Config& config() const { return config_; }
  // Subscribes synchronously to `subject` with pending limits (messages,
  // bytes) and flushes, so that the server has the subscription when this
  // returns.
  natsSubscription* subscribe(const std::string& subject, int msgs, int bytes);
  // The next message of `sub` (never null); throws on a slow-consumer drop
  // unless `drops_allowed`.
  natsMsg* next(natsSubscription* sub, bool drops_allowed);
  // Copies a message of exactly n bytes.
  static void copy_message(natsMsg* m, std::byte* d, std::size_t n);
  std::map<std::string, std::int64_t> settings_;  // recorded limits
  // This side's subscription (subscribe()'s result), destroyed by
  // teardown() once the connection is closed (libnats's reader thread,
  // which may still be delivering to it, has then ended).
  natsSubscription* sub_ = nullptr;

 private:
  Config config_;
  std::string token_, url_;
  int port_ = 0;  // the server's port
  Daemon daemon_;
  natsConnection* conn_ = nullptr;
  std::vector<int> threads_;
};

}  // namespace ipcb::transports
