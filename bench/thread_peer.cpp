#include "bench/thread_peer.hpp"

#include <sched.h>

#include "bench/scenario.hpp"
#include "harness/cpu.hpp"
#include "sys/cancel.hpp"
#include "transports/registry.hpp"

namespace ipcb::bench {

ThreadPeer::ThreadPeer(const std::string& transport,
                       const transports::Config& config,
                       const nlohmann::json& handoff, const Job& job, int cpu,
                       std::chrono::milliseconds timeout) {
  watchdog_ = std::thread([this, timeout] { watch(timeout); });
  thread_ = std::thread([this, transport, config, handoff, job, cpu] {
    body(transport, config, handoff, job, cpu);
  });
}

ThreadPeer::~ThreadPeer() {
  {
    std::lock_guard lock(mu_);
    go_ = true;  // a thread still waiting at the gate must not wait forever
    stop_watch_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    bool finished;
    {
      std::lock_guard lock(mu_);
      finished = done_;
    }
    if (!finished) sys::request_cancel();  // end the peer's waits
    thread_.join();
  }
  if (watchdog_.joinable()) watchdog_.join();
}

void ThreadPeer::body(std::string transport, transports::Config config,
                      nlohmann::json handoff, Job job, int cpu) {
  try {
    harness::pin_current_thread(cpu);
    auto t = transports::create_transport(transport, config);
    t->adopt(handoff);
    t->connect(transports::Role::kPeer);
    std::unique_lock lock(mu_);
    connected_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return go_; });
    lock.unlock();
    nlohmann::json report = serve(*t, job, Fault{});
    report["cpu"] = ::sched_getcpu();
    lock.lock();
    report_ = std::move(report);
  } catch (...) {
    std::lock_guard lock(mu_);
    error_ = std::current_exception();
  }
  std::lock_guard lock(mu_);
  done_ = true;
  cv_.notify_all();
}

void ThreadPeer::watch(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return stop_watch_; })) {
    timed_out_ = true;
    sys::request_cancel();
  }
}

void ThreadPeer::start_gate() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return connected_ || done_; });
  if (error_) std::rethrow_exception(error_);
  go_ = true;
  cv_.notify_all();
}

nlohmann::json ThreadPeer::finish() {
  thread_.join();
  {
    std::lock_guard lock(mu_);
    stop_watch_ = true;
  }
  cv_.notify_all();
  watchdog_.join();
  if (timed_out_)
    throw std::runtime_error("in-process peer: no result within the timeout");
  if (error_) std::rethrow_exception(error_);
  return report_;
}

}  // namespace ipcb::bench
