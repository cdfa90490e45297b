#include "bench/peer_run.hpp"

#include <sched.h>

#include <memory>
#include <optional>
#include <vector>

#include "bench/peer_link.hpp"
#include "bench/remote.hpp"
#include "harness/clock.hpp"
#include "harness/naming.hpp"
#include "harness/release.hpp"

namespace ipcb::bench {

void PairsSync::wait_turn(std::size_t i) {
  if (!in_turn_) return;
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] {
    for (std::size_t j = 0; j < i; ++j)
      if (!left_[j]) return false;
    return true;
  });
}

void PairsSync::leave(std::size_t i) {
  {
    std::lock_guard lock(mu_);
    left_[i] = true;
  }
  cv_.notify_all();
}

namespace {

using Peers = std::vector<std::unique_ptr<PeerLink>>;

harness::PeerSpec peer_spec(const Case& cs, const transports::Config& cfg,
                            const Job& job, const RunSettings& settings,
                            int cpu, bool transport_prepared, int release_fd) {
  const Options& opt = settings.options;
  harness::PeerSpec spec{settings.executable,
                         cs.info->name,
                         cfg,
                         job.to_json(),
                         cpu,
                         std::chrono::milliseconds(
                             static_cast<std::int64_t>(opt.timeout_s * 1000)),
                         opt.fault,
                         transport_prepared};
  spec.release_fd = release_fd;
  return spec;
}

// The first peer with a cause of its own (its error, exit status, signal or
// timeout), named when the scenario names its peers; else the driver's
// error.
std::string explain(const Scenario& s, Peers& peers, const std::exception& e) {
  std::string first;
  for (std::size_t i = 0; i < peers.size(); ++i) {
    std::string why = peers[i]->explain_failure(e);
    const std::string who = s.peer_name(i);
    if (who.empty()) return why;
    if (why.rfind("driver failed", 0) != 0) return who + ": " + why;
    if (first.empty()) first = why;
  }
  return first.empty() ? std::string(e.what()) : first;
}

}  // namespace

template <class Loop>
void run_once(Loop& loop, const Case& cs, const Job& job,
              const RunSettings& settings, const RunCpus& cpus, PairsSync* sync,
              std::size_t index, Outcome& out) {
  const Scenario& s = *cs.scenario;
  // Declared in this order so that the peers (a process peer's Pair tears
  // the transport down) go first and the private directory last.
  std::optional<harness::IpcNames> names;
  std::optional<harness::ReleaseGate> gate;
  std::optional<harness::FinishCount> finish;
  std::unique_ptr<transports::Transport> transport;
  Peers peers;
  bool arrived = false;
  // After the warm-up, right before the timed phase: every pair's driver
  // meets the others, then the peers that wait for it are released, all by
  // one write.
  const Gate release = [&] {
    if (sync) {
      sync->together().arrive_and_wait();
      arrived = true;
      sync->wait_turn(index);
    }
    out.m.timed_start_ns = harness::now_ns();
    if (gate) {
      for (auto& p : peers) p->wait_warm();
      gate->release();
    }
  };
  try {
    harness::pin_current_thread(cpus.driver);
    names.emplace();
    if (s.peers_wait_for_release()) gate.emplace();
    if (s.peers_count_finish()) finish.emplace();
    // The one descriptor the peers inherit besides the control channel.
    const int release_fd = gate ? gate->fd() : finish ? finish->fd() : -1;
    Job mine = job;
    if (finish) mine.finish_fd = finish->fd();
    transports::Config cfg;
    cfg.max_message_bytes = cs.bytes;
    cfg.wait = cs.wait;
    cfg.dir = names->dir();
    cfg.name_prefix = names->prefix();
    cfg.producers = job.producers;
    cfg.capacity_bytes = cs.capacity_bytes;
    cfg.consumers = job.consumers;
    if (settings.remote) cfg.remote_host = settings.remote->peer_host();
    transport = transports::create_transport(cs.info->name, cfg);
    const std::vector<Job> jobs = s.peer_jobs(mine);
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      const harness::PeerSpec spec = peer_spec(cs, cfg, jobs[i], settings,
                                               cpus.peer(i), i > 0, release_fd);
      if (settings.remote) {
        peers.push_back(std::make_unique<RemotePeer>(*settings.remote, spec,
                                                     cs.name, *transport));
      } else {
        peers.push_back(
            start_peer(spec, jobs[i], *transport, cs.info->caps.in_process));
      }
    }
    // Only now: connecting may close the ends the peers inherited.
    transport->connect(transports::Role::kDriver);
    for (auto& p : peers) p->start_gate();
    drive(s, loop, *transport, mine, out.m, release);
    if (sync) sync->leave(index);
    out.applied = transport->applied_settings();
    out.capacity = transport->capacity();
    for (auto& p : peers) out.done.push_back(p->finish());
    out.driver_cpu = ::sched_getcpu();
  } catch (const std::exception& e) {
    out.error = explain(s, peers, e);
    if (sync && !arrived) sync->together().arrive_and_drop();
  }
  if (sync) sync->leave(index);
  peers.clear();  // ends the peers that still run
  if (transport) transport->teardown();
}

template void run_once(benchmark::State&, const Case&, const Job&,
                       const RunSettings&, const RunCpus&, PairsSync*,
                       std::size_t, Outcome&);
template void run_once(CountedLoop&, const Case&, const Job&,
                       const RunSettings&, const RunCpus&, PairsSync*,
                       std::size_t, Outcome&);

}  // namespace ipcb::bench
