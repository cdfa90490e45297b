#include "transports/nats_common.hpp"

#include <sys/random.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "sys/cancel.hpp"
#include "sys/checked.hpp"
#include "sys/fd.hpp"
#include "sys/threads.hpp"
#include "transports/net_address.hpp"

// LeakSanitizer (the IPCB_SANITIZE build): libnats 3.4 keeps buffers of its
// own (natsBuf_Create, its per-thread error state) that it frees only in
// nats_CloseAndWait(), which a process with live connections on other
// threads cannot call at exit. Leaks whose stack is inside libnats are not
// reported; everything else is. Harmless in other builds (never called).
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libnats.so\n";
}

namespace ipcb::transports {

namespace {

constexpr std::int64_t kMaxPayloadBytes = 8 << 20;
constexpr std::int64_t kMaxPendingBytes = 256 << 20;
constexpr int kWakeMs = 100;

struct Options {
  natsOptions* o = nullptr;
  ~Options() { natsOptions_Destroy(o); }
};

std::string random_token() {
  unsigned char raw[16];
  sys::checked("getrandom", "nats token",
               [&] { return ::getrandom(raw, sizeof raw, 0); });
  std::string hex;
  char two[3];
  for (unsigned char c : raw) {
    std::snprintf(two, sizeof two, "%02x", c);
    hex += two;
  }
  return hex;
}

natsConnection* connect_to(const std::string& url, const std::string& token) {
  Options opts;
  nats_check(natsOptions_Create(&opts.o), "natsOptions_Create", url);
  nats_check(natsOptions_SetURL(opts.o, url.c_str()), "natsOptions_SetURL",
             url);
  nats_check(natsOptions_SetToken(opts.o, token.c_str()),
             "natsOptions_SetToken", url);
  nats_check(natsOptions_SetAllowReconnect(opts.o, false),
             "natsOptions_SetAllowReconnect", url);
  nats_check(natsOptions_SetSendAsap(opts.o, true), "natsOptions_SetSendAsap",
             url);
  nats_check(natsOptions_SetTimeout(opts.o, 2000), "natsOptions_SetTimeout",
             url);
  natsConnection* c = nullptr;
  nats_check(natsConnection_Connect(&c, opts.o), "natsConnection_Connect", url);
  return c;
}

// The URL in the ports file nats-server wrote into `dir`, or "".
std::string url_from_ports_file(const std::string& file) {
  const std::string text = sys::read_text_file(file);
  if (text.empty()) return "";
  try {
    const auto j = nlohmann::json::parse(text);
    return j.at("nats").at(0).get<std::string>();
  } catch (const std::exception&) {
    return "";  // not complete yet
  }
}

}  // namespace

std::optional<std::string> nats_unavailable() {
  if (find_executable("nats-server").empty())
    return "nats-server not found in PATH (apt-get install nats-server)";
  return std::nullopt;
}

void nats_check(natsStatus s, const char* call, const std::string& what) {
  if (s == NATS_OK) return;
  std::string text = natsStatus_GetText(s);
  const char* last = nats_GetLastError(nullptr);
  if (last != nullptr && *last != '\0' && text != last)
    text += ": " + std::string(last);
  throw std::runtime_error(std::string(call) + "(" + what + "): " + text);
}

NatsTransport::NatsTransport(const Config& c) : config_(c) {}

namespace {
void nats_single_host_fanout(const Config& c) {
  if (c.consumers > 0 && c.peer_listens())
    throw std::invalid_argument(
        "fan-out across hosts is not offered by the NATS transports: run "
        "fan-out on one host (without --remote)");
}
}  // namespace

NatsTransport::~NatsTransport() { teardown(); }

void NatsTransport::prepare() {
  nats_single_host_fanout(config_);
  if (auto why = nats_unavailable()) throw std::runtime_error(*why);
  const std::string exe = find_executable("nats-server");
  token_ = random_token();
  const std::string conf =
      "host: \"" + host_or_loopback(config_.listen_address) +
      "\"\nport: -1\nports_file_dir: \"" + config_.dir +
      "\"\nauthorization { token: \"" + token_ +
      "\" }\nmax_payload: " + std::to_string(kMaxPayloadBytes) +
      "\nmax_pending: " + std::to_string(kMaxPendingBytes) + "\n";
  daemon_.start({"nats-server",
                 exe,
                 {"-c", config_.dir + "/nats.conf"},
                 config_.dir,
                 "nats.conf",
                 conf,
                 "nats.log"});
  const std::string ports =
      config_.dir + "/nats-server_" + std::to_string(daemon_.pid()) + ".ports";
  daemon_.wait_ready([&] {
    url_ = url_from_ports_file(ports);
    if (url_.empty()) return false;
    port_ = std::stoi(url_.substr(url_.rfind(':') + 1));
    try {
      natsConnection_Destroy(connect_to(url_, token_));
      return true;
    } catch (const std::runtime_error&) {
      return false;
    }
  });
}

nlohmann::json NatsTransport::handoff() const {
  return {{"url", url_}, {"port", port_}, {"token", token_}};
}

void NatsTransport::adopt(const nlohmann::json& h) {
  nats_single_host_fanout(config_);
  url_ = h.at("url").get<std::string>();
  token_ = h.at("token").get<std::string>();
  if (config_.peer_listens()) {  // the server is on the peer's host
    port_ = h.at("port").get<int>();
    url_ = "nats://" + resolve_host(host_or_loopback(config_.remote_host),
                                    port_, "nats peer host")
                           .text();
  }
}

void NatsTransport::open() {
  std::vector<int> before = sys::threads_named("");
  conn_ = connect_to(url_, token_);
  for (int tid : sys::threads_named("")) {
    if (std::find(before.begin(), before.end(), tid) == before.end())
      threads_.push_back(tid);
  }
  settings_["nats_max_payload_bytes"] = natsConnection_GetMaxPayload(conn_);
}

natsSubscription* NatsTransport::subscribe(const std::string& subject, int msgs,
                                           int bytes) {
  natsSubscription* sub = nullptr;
  nats_check(natsConnection_SubscribeSync(&sub, conn_, subject.c_str()),
             "natsConnection_SubscribeSync", subject);
  nats_check(natsSubscription_SetPendingLimits(sub, msgs, bytes),
             "natsSubscription_SetPendingLimits", subject);
  settings_["nats_pending_limit_messages"] = msgs;
  settings_["nats_pending_limit_bytes"] = bytes;
  // The server has processed the SUB once it answers the PING of a flush.
  nats_check(natsConnection_FlushTimeout(conn_, 10000), "natsConnection_Flush",
             subject);
  return sub;
}

natsMsg* NatsTransport::next(natsSubscription* sub, bool drops_allowed) {
  // NULL once the subscription is closed (the server went away).
  const char* subject_or_null = natsSubscription_GetSubject(sub);
  const std::string subject =
      subject_or_null != nullptr ? subject_or_null : "closed subscription";
  for (;;) {
    natsMsg* m = nullptr;
    const natsStatus s = natsSubscription_NextMsg(&m, sub, kWakeMs);
    if (s == NATS_OK) return m;
    if (s == NATS_SLOW_CONSUMER && drops_allowed) continue;
    if (s == NATS_SLOW_CONSUMER) {
      int64_t dropped = 0;
      natsSubscription_GetDropped(sub, &dropped);
      throw std::runtime_error(
          "nats(" + subject + "): libnats dropped " + std::to_string(dropped) +
          " messages beyond the subscription's pending limits");
    }
    if (s != NATS_TIMEOUT) nats_check(s, "natsSubscription_NextMsg", subject);
    if (sys::cancelled())
      sys::throw_cancelled("natsSubscription_NextMsg", subject);
  }
}

void NatsTransport::copy_message(natsMsg* m, std::byte* d, std::size_t n) {
  const int len = natsMsg_GetDataLength(m);
  if (len < 0 || static_cast<std::size_t>(len) != n) {
    const std::string subject = natsMsg_GetSubject(m);
    natsMsg_Destroy(m);
    throw std::runtime_error("nats(" + subject + "): a message of " +
                             std::to_string(len) + " bytes arrived when " +
                             std::to_string(n) + " were expected");
  }
  std::memcpy(d, natsMsg_GetData(m), n);
  natsMsg_Destroy(m);
}

void NatsTransport::teardown() noexcept {
  if (conn_ != nullptr) natsConnection_Close(conn_);
  if (sub_ != nullptr) natsSubscription_Destroy(sub_);
  sub_ = nullptr;
  if (conn_ != nullptr) natsConnection_Destroy(conn_);
  conn_ = nullptr;
  threads_.clear();
  daemon_.stop();
}

std::vector<int> NatsTransport::daemon_pids() const {
  if (!daemon_.running()) return {};
  return {daemon_.pid()};
}

std::map<std::string, std::int64_t> NatsTransport::applied_settings() const {
  auto s = settings_;
  s["nats_server_max_pending_bytes"] = kMaxPendingBytes;
  return s;
}

Capacity NatsTransport::capacity() const {
  Capacity c;
  c.reason =
      "nats-server and libnats buffer per subscription (pending limits, "
      "recorded in applied), not as bytes in flight per direction";
  return c;
}

}  // namespace ipcb::transports
