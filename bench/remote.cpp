#include "bench/remote.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>

#include <chrono>

#include "harness/clock.hpp"
#include "harness/remote_auth.hpp"
#include "sys/cancel.hpp"
#include "sys/checked.hpp"

namespace ipcb::bench {

using nlohmann::json;

namespace {
constexpr int kClockExchanges = 8;
constexpr int kConfirmMs = 1000;
}  // namespace

RemoteSession::RemoteSession(harness::HostPort server, std::string token)
    : server_(std::move(server)),
      token_(std::move(token)),
      session_(harness::random_hex(16)) {}

harness::NetControl& RemoteSession::channel(int timeout_ms) {
  if (!conn_.is_open()) {
    conn_ = harness::NetControl::dial(server_, timeout_ms);
    try {
      handshake();
    } catch (...) {
      conn_.close();
      throw;
    }
  }
  return conn_;
}

void RemoteSession::handshake() {
  const std::string where = "the ipcbench server at " + server_.text();
  const auto hello = conn_.recv_within(5000);
  if (!hello || hello->value("type", "") != "hello" ||
      !(*hello)["nonce"].is_string())
    throw RemoteRefused(where + " did not greet as an ipcbench server does");
  const std::string server_nonce = (*hello)["nonce"];
  const std::string nonce = harness::random_hex(16);
  conn_.send({{"type", "auth"},
              {"protocol", harness::kRemoteProtocol},
              {"nonce", nonce},
              {"session", session_},
              {"proof", harness::driver_proof(token_, server_nonce, nonce)}});
  const auto answer = conn_.recv_within(5000);
  if (!answer) throw RemoteRefused(where + " did not answer the handshake");
  if (answer->value("type", "") == "refused")
    throw RemoteRefused(where + " refused this driver: " +
                        answer->value("why", std::string("?")));
  if (answer->value("type", "") != "welcome" ||
      !harness::proofs_match(harness::server_proof(token_, server_nonce, nonce),
                             answer->value("proof", std::string())))
    throw RemoteRefused(where +
                        " could not prove it holds the token: not the "
                        "server meant, or a different IPCBENCH_TOKEN");
  welcome_ = *answer;
  welcome_.erase("proof");
  welcome_.erase("type");
}

harness::ClockEstimate RemoteSession::clock(int exchanges, int timeout_ms) {
  std::vector<harness::ClockSample> samples;
  for (int i = 0; i < exchanges; ++i) {
    harness::ClockSample s;
    s.t0 = harness::now_ns();
    conn_.send({{"type", "clock"}, {"t0", s.t0}});
    const auto answer = conn_.recv_within(timeout_ms);
    s.t3 = harness::now_ns();
    if (!answer) {
      conn_.close();  // out of step: the next benchmark reconnects
      throw std::runtime_error(
          "the server at " + server_.text() +
          " did not answer a clock exchange within " +
          std::to_string(timeout_ms / 1000) +
          " s: the network stopped delivering, or the server hangs");
    }
    const json& r = *answer;
    if (r.value("type", "") != "clock" || r.value("t0", 0LL) != s.t0)
      throw std::runtime_error("the server answered a clock exchange with '" +
                               r.value("type", std::string("?")) + "'");
    s.t1 = r.at("t1");
    s.t2 = r.at("t2");
    samples.push_back(s);
  }
  return harness::estimate_clock(samples);
}

RemotePeer::RemotePeer(RemoteSession& session, const harness::PeerSpec& spec,
                       const std::string& name, transports::Transport& t)
    : session_(session),
      c_(session.channel(static_cast<int>(spec.timeout.count()))),
      timeout_(spec.timeout),
      cpu_(spec.peer_cpu),
      main_thread_(::pthread_self()) {
  harness::install_driver_signals();
  before_ = session_.clock(kClockExchanges, static_cast<int>(timeout_.count()));
  const auto& cf = spec.config;
  json setup = {{"type", "setup"},
                {"transport", spec.transport},
                {"config",
                 {{"max_message_bytes", cf.max_message_bytes},
                  {"wait", transports::to_string(cf.wait)},
                  {"producers", cf.producers},
                  {"consumers", cf.consumers},
                  {"capacity_bytes", cf.capacity_bytes}}},
                {"handoff", json::object()},
                {"job", spec.job},
                {"fault", spec.fault}};
  c_.send({{"type", "run"},
           {"name", name},
           {"cpu", cpu_},
           {"timeout_ms", timeout_.count()},
           {"setup", setup}});
  stop_fd_ = sys::Fd(sys::checked("eventfd", "remote watchdog",
                                  [] { return ::eventfd(0, EFD_CLOEXEC); }));
  watchdog_ = std::thread([this] { watch(); });
  try {
    phase_ = "prepare";
    const json listening = expect("listening");
    t.adopt(listening.at("handoff"));
  } catch (const std::exception& e) {
    // No link exists yet to explain it later: the cause, now.
    const std::string why = explain_failure(e);
    throw std::runtime_error(why);
  }
  phase_ = "connect";
}

RemotePeer::~RemotePeer() {
  stop_watchdog();
  end_peer();
  sys::reset_cancel();
}

void RemotePeer::watch() {
  sigset_t all;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  bool fired = false;
  for (;;) {
    pollfd fds[2] = {{stop_fd_.get(), POLLIN, 0},
                     {fired ? -1 : c_.fd(), POLLRDHUP, 0}};
    int wait_ms = 2;
    if (!fired) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      wait_ms = static_cast<int>(std::max<std::int64_t>(0, left.count()));
    }
    const int r = ::poll(fds, 2, wait_ms);
    if (r < 0) continue;
    if (fds[0].revents != 0) return;
    if (!fired && r == 0) timed_out_ = fired = true;
    if (!fired && fds[1].revents != 0) server_gone_ = fired = true;
    if (fired) {
      sys::request_cancel();
      ::pthread_kill(main_thread_, SIGUSR1);
    }
  }
}

void RemotePeer::stop_watchdog() noexcept {
  if (!watchdog_.joinable()) return;
  std::uint64_t one = 1;
  (void)!::write(stop_fd_.get(), &one, sizeof one);
  watchdog_.join();
}

json RemotePeer::expect(const char* type) {
  for (;;) {
    json m = c_.recv();
    const std::string got = m.value("type", "");
    if (got == type) return m;
    if (got == "error") {
      server_error_ = m.value("what", std::string("?"));
      throw std::runtime_error("peer on " + session_.server().host +
                               " failed: " + server_error_);
    }
    if (got == "ended") {
      ended_ = m.value("status", std::string("?"));
      ended_clean_ = m.value("clean", false);
      throw std::runtime_error("peer on " + session_.server().host + " " +
                               ended_ + " before it sent '" + type + "'");
    }
    throw std::runtime_error("the server sent '" + got + "' instead of '" +
                             type + "'");
  }
}

void RemotePeer::start_gate() {
  phase_ = "start gate";
  const json ready = expect("ready");
  c_.send({{"type", "go"}});
  phase_ = "run";
  (void)ready;
}

void RemotePeer::wait_warm() {
  throw std::runtime_error("a release gate is not offered across hosts");
}

json RemotePeer::finish() {
  phase_ = "finish";
  json done = expect("done");
  c_.send({{"type", "bye"}});
  try {
    const json end = expect("ended");
    ended_ = end.value("status", std::string("?"));
    ended_clean_ = end.value("clean", false);
  } catch (const std::exception&) {
    if (ended_.empty()) throw;
  }
  stop_watchdog();
  harness::ClockWindow window{
      before_,
      session_.clock(kClockExchanges, static_cast<int>(timeout_.count()))};
  done["remote"] = {{"server", session_.server().text()},
                    {"peer_cpu_requested", cpu_},
                    {"peer_exit", ended_},
                    {"clock", window.to_json()}};
  return done;
}

void RemotePeer::end_peer() noexcept {
  if (!ended_.empty() || !c_.is_open()) return;
  try {
    c_.send({{"type", "abort"}});
    const auto give_up = std::chrono::steady_clock::now() +
                         std::chrono::milliseconds(kConfirmMs);
    while (std::chrono::steady_clock::now() < give_up) {
      const auto m = c_.recv_within(kConfirmMs);
      if (!m) break;
      if (m->value("type", "") == "error")
        server_error_ = m->value("what", std::string());
      if (m->value("type", "") == "ended") {
        ended_ = m->value("status", std::string("?"));
        return;
      }
    }
  } catch (const std::exception&) {
  }
  session_.drop();  // out of step: the next benchmark reconnects
}

std::string RemotePeer::explain_failure(const std::exception& e) {
  sys::note_progress();
  stop_watchdog();
  sys::reset_cancel();
  const std::string phase = phase_.load();
  const std::string host = session_.server().host;
  const std::string driver_error = e.what();
  if (server_gone_ && ended_.empty()) {
    session_.drop();
    return "the server at " + session_.server().text() +
           " closed the control connection during " + phase +
           " (the server went away, or the network failed)";
  }
  end_peer();
  if (!server_error_.empty())
    return "peer on " + host + " failed during " + phase + ": " + server_error_;
  if (timed_out_)
    return "no result from the peer on " + host + " within " +
           std::to_string(timeout_.count() / 1000) + " s (during " + phase +
           "): the network stopped delivering, or the peer hangs; " +
           (c_.is_open() ? "the server ended the peer"
                         : "the server did not answer either, so the "
                           "connection was dropped") +
           ". Raise --timeout if the run is merely slow";
  if (!ended_.empty() && !ended_clean_)
    return "peer on " + host + " " + ended_ + " during " + phase;
  return "driver failed during " + phase + ": " + driver_error;
}

}  // namespace ipcb::bench
