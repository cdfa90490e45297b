// The driver's side of two-host runs (--remote=HOST:PORT,
// docs/two-hosts.md): the session with the server, and the PeerLink of a
// peer that runs there.
//
// Contract. RemoteSession connects and proves the token
// (harness/remote_auth.hpp), checking the server's proof in turn; a
// refusal (wrong token, busy) is a RemoteRefused with the server's reason.
// After a failed benchmark the connection may be out of step (a message
// lost with the network): drop() closes it, and the next benchmark
// reconnects within its timeout, as the same session (the server then
// ends the old connection and whatever peer it still ran). clock() runs
// NTP-style exchanges (harness/clock_sync.hpp).
//
// RemotePeer asks the server for a peer, adopts the handoff of the
// transport the peer prepared (the peer listens, Config::listen_address),
// and meets it like harness::Pair: start_gate(), finish(). A watchdog
// ends every wait of the driver's once the timeout passes or the server's
// connection drops (cancel token + SIGUSR1, as Pair's does). finish()'s
// report carries "remote": the server, the peer's CPU and the clock
// window around the benchmark.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>

#include "bench/job.hpp"
#include "bench/peer_link.hpp"
#include "harness/clock_sync.hpp"
#include "harness/net_control.hpp"
#include "harness/pair.hpp"

namespace ipcb::bench {

class RemoteRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RemoteSession {
 public:
  RemoteSession(harness::HostPort server, std::string token);
  // Connects (again) if not connected, within timeout_ms.
  harness::NetControl& channel(int timeout_ms);
  void drop() { conn_.close(); }
  // Throws, and drops the connection, when an answer takes longer than
  // timeout_ms.
  harness::ClockEstimate clock(int exchanges, int timeout_ms);

  const harness::HostPort& server() const { return server_; }
  // The server's environment, CPUs and the address the driver reached it
  // at, from the last handshake.
  const nlohmann::json& welcome() const { return welcome_; }
  // The host the transports connect to (the server's, as reached).
  const std::string& peer_host() const { return server_.host; }

 private:
  void handshake();

  harness::HostPort server_;
  std::string token_;
  std::string session_;
  harness::NetControl conn_;
  nlohmann::json welcome_;
};

class RemotePeer final : public PeerLink {
 public:
  RemotePeer(RemoteSession& session, const harness::PeerSpec& spec,
             const std::string& name, transports::Transport& t);
  ~RemotePeer() override;
  void start_gate() override;
  void wait_warm() override;
  nlohmann::json finish() override;
  std::string explain_failure(const std::exception& e) override;

 private:
  nlohmann::json expect(const char* type);
  void watch();
  void stop_watchdog() noexcept;
  // Ends the peer on the server if it still runs; the connection is
  // dropped when the server does not confirm within a second.
  void end_peer() noexcept;

  RemoteSession& session_;
  harness::NetControl& c_;
  std::chrono::milliseconds timeout_;
  int cpu_;
  harness::ClockEstimate before_;
  std::string server_error_, ended_;
  bool ended_clean_ = false;
  std::atomic<const char*> phase_{"setup"};
  std::atomic<bool> timed_out_{false}, server_gone_{false};
  pthread_t main_thread_;
  sys::Fd stop_fd_;
  std::thread watchdog_;
};

}  // namespace ipcb::bench
