// ThreadPeer: the peer side of a case on a thread of the driver's own
// process, for in-process baselines (`inproc`): the same transport object
// model (adopt the handoff, connect as peer), the same serve() loop and the
// same start gate, minus the process boundary. Pinned like a peer process.
//
// Contract. The constructor starts the thread, which connects its side.
// start_gate() waits until the thread is connected and then lets it serve;
// finish() joins it and returns its report, or rethrows its error. A
// deadline (the --timeout) sets the cancel token, which ends every wait of
// both sides, so a bug can never hang the suite. Faults are not injected
// here: they would hit the driver's process. There is no warm-up gate (no
// in-process transport offers fan-in): wait_warm() does nothing.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "bench/job.hpp"
#include "bench/peer_link.hpp"
#include "transports/transport.hpp"

namespace ipcb::bench {

class ThreadPeer final : public PeerLink {
 public:
  ThreadPeer(const std::string& transport, const transports::Config& config,
             const nlohmann::json& handoff, const Job& job, int cpu,
             std::chrono::milliseconds timeout);
  ~ThreadPeer();
  ThreadPeer(const ThreadPeer&) = delete;
  ThreadPeer& operator=(const ThreadPeer&) = delete;

  void start_gate() override;
  void wait_warm() override {}
  nlohmann::json finish() override;
  std::string explain_failure(const std::exception& e) override {
    return e.what();
  }

 private:
  void body(std::string transport, transports::Config config,
            nlohmann::json handoff, Job job, int cpu);
  void watch(std::chrono::milliseconds timeout);

  std::mutex mu_;
  std::condition_variable cv_;
  bool connected_ = false, go_ = false, done_ = false, timed_out_ = false;
  bool stop_watch_ = false;
  std::exception_ptr error_;
  nlohmann::json report_;
  std::thread thread_, watchdog_;
};

}  // namespace ipcb::bench
