#include "transports/zmq_pair.hpp"

#include <sys/random.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <limits>

#include "sys/cancel.hpp"
#include "sys/checked.hpp"
#include "sys/threads.hpp"
#include "transports/capacity.hpp"
#include "transports/net_address.hpp"

namespace ipcb::transports {

namespace {
constexpr std::size_t kQueueBudgetBytes = 8 << 20;
constexpr int kDefaultHwm = 1000;  // ZeroMQ's own default

int hwm_for(const Config& c) {
  const std::size_t size = std::max<std::size_t>(c.max_message_bytes, 1);
  if (c.capacity_bytes > 0)
    return static_cast<int>(std::clamp<std::size_t>(
        c.capacity_bytes / 2 / size, 1, std::numeric_limits<int>::max()));
  return static_cast<int>(
      std::clamp<std::size_t>(kQueueBudgetBytes / size, 4, kDefaultHwm));
}

// The token as printable text (Z85, ZeroMQ's own encoding), the PLAIN
// password across hosts.
std::string zmq_token_text(const std::array<unsigned char, 16>& token) {
  char text[16 * 5 / 4 + 1];
  if (zmq_z85_encode(text, token.data(), token.size()) == nullptr)
    throw std::logic_error("zmq_z85_encode: the token's size is not 4k");
  return text;
}

constexpr const char* kZapUser = "ipcb";  // the PLAIN user name across hosts
}  // namespace

ZmqPairTransport::ZmqPairTransport(const Config& c, std::string bind_endpoint)
    : bind_endpoint_(std::move(bind_endpoint)),
      message_bytes_(std::max<std::size_t>(c.max_message_bytes, 1)),
      asked_(c.capacity_bytes),
      hwm_(hwm_for(c)),
      producers_(c.producers),
      consumers_(c.consumers),
      listens_(c.peer_listens() && bind_endpoint_.rfind("tcp://", 0) == 0),
      listen_host_(host_or_loopback(c.listen_address)),
      remote_host_(host_or_loopback(c.remote_host)) {
  if (listens_ && consumers_ > 0)
    throw std::invalid_argument(
        "fan-out across hosts is not offered by zmq_tcp: run fan-out on one "
        "host (without --remote)");
  if (listens_ && producers_ > 0)
    throw std::invalid_argument(
        "fan-in across hosts is not offered by zmq_tcp: run fan-in on one "
        "host (without --remote)");
}

void ZmqPairTransport::open_socket(zmq::socket_type type) {
  // Thread names have 15 characters: "999/ZMQbg/IO/0" fits.
  static std::atomic<int> contexts{0};
  const int id = contexts.fetch_add(1) % 1000;
  ctx_.emplace();
  ctx_->set(zmq::ctxopt::thread_name_prefix, id);
  thread_prefix_ = std::to_string(id) + "/ZMQbg/";
  socket_ = zmq::socket_t(*ctx_, type);
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::sndhwm, hwm_);
  socket_.set(zmq::sockopt::rcvhwm, hwm_);
}

void ZmqPairTransport::prepare() {
  sys::checked("getrandom", "zmq token",
               [&] { return ::getrandom(token_.data(), token_.size(), 0); });
  if (listens_) {  // the peer, across hosts: a PLAIN server with a ZAP handler
    const NetAddress a = resolve_host(listen_host_, 0, "zmq listen address");
    ipv6_ = a.family == AF_INET6;
    const std::string host = a.text().substr(0, a.text().rfind(':'));
    bind_endpoint_ = "tcp://" + host + ":*";
    try {
      open_socket(zmq::socket_type::pair);
      zap_ = zmq::socket_t(*ctx_, zmq::socket_type::rep);
      zap_.set(zmq::sockopt::linger, 0);
      zap_.set(zmq::sockopt::rcvtimeo, 100);  // slices, to see cancellation
      zap_.bind("inproc://zeromq.zap.01");    // before any connection
      socket_.set(zmq::sockopt::ipv6, ipv6_ ? 1 : 0);
      socket_.set(zmq::sockopt::plain_server, 1);
      socket_.set(zmq::sockopt::zap_domain, "ipcb");
      socket_.bind(bind_endpoint_);
      endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
    } catch (const zmq::error_t& e) {
      fail("zmq_bind", e);
    }
    port_ = std::stoi(endpoint_.substr(endpoint_.rfind(':') + 1));
    return;
  }
  try {
    open_socket(consumers_ > 0   ? zmq::socket_type::xpub
                : producers_ > 0 ? zmq::socket_type::pull
                                 : zmq::socket_type::pair);
    if (consumers_ > 0) socket_.set(zmq::sockopt::xpub_verbose, 1);
    socket_.bind(bind_endpoint_);
    endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    fail("zmq_bind", e);
  }
}

nlohmann::json ZmqPairTransport::handoff() const {
  return {{"endpoint", endpoint_},
          {"port", port_},
          {"token", std::vector<int>(token_.begin(), token_.end())}};
}

void ZmqPairTransport::adopt(const nlohmann::json& h) {
  endpoint_ = h.at("endpoint").get<std::string>();
  auto token = h.at("token").get<std::vector<int>>();
  for (std::size_t i = 0; i < token_.size() && i < token.size(); ++i)
    token_[i] = static_cast<unsigned char>(token[i]);
  if (listens_) {  // the driver, across hosts: the peer's host and port
    const NetAddress a =
        resolve_host(remote_host_, h.at("port").get<int>(), "zmq peer host");
    ipv6_ = a.family == AF_INET6;
    endpoint_ = "tcp://" + a.text();
  }
}

// Answers ZAP requests (RFC 27) until one presents the token as its PLAIN
// password; every other is denied, its connection closed by ZeroMQ.
void ZmqPairTransport::serve_zap() {
  const std::string password = zmq_token_text(token_);
  for (;;) {
    std::vector<zmq::message_t> frames;
    try {
      do {
        zmq::message_t m;
        if (!zap_.recv(m, zmq::recv_flags::none)) break;
        frames.push_back(std::move(m));
      } while (zap_.get(zmq::sockopt::rcvmore));
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) fail("zmq_recv(ZAP)", e);
    }
    if (frames.empty()) {
      if (sys::cancelled()) sys::throw_cancelled("zmq_recv(ZAP)", endpoint_);
      continue;
    }
    // version, request id, domain, address, identity, mechanism, user, pass
    const bool ok = frames.size() == 8 && frames[5].to_string() == "PLAIN" &&
                    frames[6].to_string() == kZapUser &&
                    frames[7].to_string() == password;
    const std::string request_id =
        frames.size() > 1 ? frames[1].to_string() : std::string();
    try {
      zap_.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
      zap_.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
      zap_.send(zmq::buffer(std::string(ok ? "200" : "400")),
                zmq::send_flags::sndmore);
      zap_.send(zmq::buffer(std::string(ok ? "OK" : "not this run's token")),
                zmq::send_flags::sndmore);
      zap_.send(zmq::str_buffer(""), zmq::send_flags::sndmore);
      zap_.send(zmq::str_buffer(""), zmq::send_flags::none);
    } catch (const zmq::error_t& e) {
      fail("zmq_send(ZAP)", e);
    }
    if (ok) return;
    ++rejected_;
  }
}

// The bound side: the other side's first message must be the token.
void ZmqPairTransport::check_token() {
  std::array<unsigned char, 16> got{};
  try {
    recv(reinterpret_cast<std::byte*>(got.data()), got.size());
  } catch (const sys::Cancelled&) {
    throw;
  } catch (const std::exception&) {
    got.fill(0);
  }
  if (got != token_) {
    throw std::runtime_error(
        "zmq(" + endpoint_ +
        "): a connection did not present this run's token: another "
        "process connected before the other side; refusing to use it");
  }
}

// Fan-out: returns once every consumer's subscription to the token has
// arrived (XPUB delivers each as "\x01<topic>").
void ZmqPairTransport::await_subscriptions() {
  std::string want(1, '\x01');
  want.append(reinterpret_cast<const char*>(token_.data()), token_.size());
  for (int seen = 0; seen < consumers_;) {
    zmq::message_t msg;
    try {
      if (!socket_.recv(msg, zmq::recv_flags::none)) continue;
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) fail("zmq_recv(subscription)", e);
      if (sys::cancelled()) sys::throw_cancelled("zmq_recv", endpoint_);
      continue;
    }
    if (msg.to_string() == want) ++seen;
  }
}

void ZmqPairTransport::connect(Role role) {
  auto* token = reinterpret_cast<std::byte*>(token_.data());
  if (role == Role::kDriver && consumers_ > 0) return await_subscriptions();
  if (role == Role::kPeer && consumers_ > 0) {
    try {
      open_socket(zmq::socket_type::sub);
      socket_.set(zmq::sockopt::subscribe,
                  zmq::const_buffer(token_.data(), token_.size()));
      socket_.connect(endpoint_);
    } catch (const zmq::error_t& e) {
      fail("zmq_connect", e);
    }
    return;
  }
  const Role binds = listens_ ? Role::kPeer : Role::kDriver;
  if (role == binds) {  // bound in prepare(): authenticate the other side
    if (listens_) serve_zap();
    for (int i = 0; i < std::max(producers_, 1); ++i) check_token();
    return;
  }
  try {
    open_socket(producers_ > 0 ? zmq::socket_type::push
                               : zmq::socket_type::pair);
    if (listens_) {  // the driver, across hosts: PLAIN credentials
      socket_.set(zmq::sockopt::ipv6, ipv6_ ? 1 : 0);
      socket_.set(zmq::sockopt::plain_username, kZapUser);
      socket_.set(zmq::sockopt::plain_password, zmq_token_text(token_));
    }
    socket_.connect(endpoint_);
  } catch (const zmq::error_t& e) {
    fail("zmq_connect", e);
  }
  send(token, token_.size());
}

void ZmqPairTransport::send(const std::byte* d, std::size_t n) {
  bool topic = consumers_ > 0;  // fan-out: the token frame first
  for (;;) {
    try {
      if (topic) {
        socket_.send(zmq::const_buffer(token_.data(), token_.size()),
                     zmq::send_flags::sndmore);
        topic = false;
      }
      socket_.send(zmq::const_buffer(d, n), zmq::send_flags::none);
      return;
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) fail("zmq_send", e);
      if (sys::cancelled()) sys::throw_cancelled("zmq_send", endpoint_);
    }
  }
}

void ZmqPairTransport::recv(std::byte* d, std::size_t n) {
  bool topic = consumers_ > 0;  // fan-out: the token frame first
  for (;;) {
    try {
      if (topic) {
        std::array<unsigned char, 16> got{};
        auto r = socket_.recv(zmq::mutable_buffer(got.data(), got.size()),
                              zmq::recv_flags::none);
        if (!r || r->untruncated_size != got.size() || got != token_ ||
            !socket_.get(zmq::sockopt::rcvmore))
          throw std::runtime_error("zmq_recv(" + endpoint_ +
                                   "): a message without this run's topic");
        topic = false;
      }
      auto r = socket_.recv(zmq::mutable_buffer(d, n), zmq::recv_flags::none);
      if (r && r->untruncated_size == n) return;
      throw std::runtime_error("zmq_recv(" + endpoint_ + "): a message of " +
                               std::to_string(r ? r->untruncated_size : 0) +
                               " bytes arrived when " + std::to_string(n) +
                               " were expected");
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) fail("zmq_recv", e);
      if (sys::cancelled()) sys::throw_cancelled("zmq_recv", endpoint_);
    }
  }
}

void ZmqPairTransport::teardown() noexcept {
  socket_.close();
  zap_.close();
  ctx_.reset();  // zmq_ctx_term: returns at once, LINGER is 0
}

std::map<std::string, std::int64_t> ZmqPairTransport::applied_settings() const {
  if (!socket_) return {};
  try {
    return {{"zmq_sndhwm_messages", socket_.get(zmq::sockopt::sndhwm)},
            {"zmq_rcvhwm_messages", socket_.get(zmq::sockopt::rcvhwm)},
            {"zmq_linger_ms", socket_.get(zmq::sockopt::linger)},
            {"rejected_connections", rejected_}};
  } catch (const zmq::error_t&) {
    return {};
  }
}

std::vector<int> ZmqPairTransport::own_threads() const {
  if (thread_prefix_.empty()) return {};
  return sys::threads_named(thread_prefix_);
}

Capacity ZmqPairTransport::capacity() const {
  if (!socket_) return no_capacity("not connected");
  try {
    const std::int64_t messages =
        socket_.get(zmq::sockopt::sndhwm) + socket_.get(zmq::sockopt::rcvhwm);
    return read_capacity(
        messages * static_cast<std::int64_t>(message_bytes_), asked_,
        "zmq_getsockopt: (ZMQ_SNDHWM + ZMQ_RCVHWM) x message size",
        "whole messages of " + std::to_string(message_bytes_) + " B", "");
  } catch (const zmq::error_t& e) {
    return no_capacity(std::string("zmq_getsockopt: ") + e.what());
  }
}

void ZmqPairTransport::fail(const char* call, const zmq::error_t& e) const {
  std::string s = call;
  s += "(";
  s += endpoint_.empty() ? bind_endpoint_ : endpoint_;
  s += "): ";
  s += e.what();
  throw std::runtime_error(s);
}

}  // namespace ipcb::transports
