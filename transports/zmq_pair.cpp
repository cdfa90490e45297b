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
}  // namespace

ZmqPairTransport::ZmqPairTransport(const Config& c, std::string bind_endpoint)
    : bind_endpoint_(std::move(bind_endpoint)),
      message_bytes_(std::max<std::size_t>(c.max_message_bytes, 1)),
      asked_(c.capacity_bytes),
      hwm_(hwm_for(c)),
      producers_(c.producers),
      consumers_(c.consumers) {}

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
  sys::checked("getrandom", "zmq token",
               [&] { return ::getrandom(token_.data(), token_.size(), 0); });
}

nlohmann::json ZmqPairTransport::handoff() const {
  return {{"endpoint", endpoint_},
          {"token", std::vector<int>(token_.begin(), token_.end())}};
}

void ZmqPairTransport::adopt(const nlohmann::json& h) {
  endpoint_ = h.at("endpoint").get<std::string>();
  auto token = h.at("token").get<std::vector<int>>();
  for (std::size_t i = 0; i < token_.size() && i < token.size(); ++i)
    token_[i] = static_cast<unsigned char>(token[i]);
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
  if (role == Role::kDriver) {  // bound in prepare(): authenticate the peer
    for (int i = 0; i < std::max(producers_, 1); ++i) {
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
            "local process connected before the peer; refusing to use it");
      }
    }
    return;
  }
  try {
    open_socket(producers_ > 0 ? zmq::socket_type::push
                               : zmq::socket_type::pair);
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
  ctx_.reset();  // zmq_ctx_term: returns at once, LINGER is 0
}

std::map<std::string, std::int64_t> ZmqPairTransport::applied_settings() const {
  if (!socket_) return {};
  try {
    return {{"zmq_sndhwm_messages", socket_.get(zmq::sockopt::sndhwm)},
            {"zmq_rcvhwm_messages", socket_.get(zmq::sockopt::rcvhwm)},
            {"zmq_linger_ms", socket_.get(zmq::sockopt::linger)}};
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
