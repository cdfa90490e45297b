#include "bench/peer_run.hpp"

#include <sched.h>

#include <memory>
#include <optional>
#include <vector>

#include "bench/peer_link.hpp"
#include "harness/naming.hpp"

namespace ipcb::bench {

namespace {

using Peers = std::vector<std::unique_ptr<PeerLink>>;

harness::PeerSpec peer_spec(const Case& cs, const transports::Config& cfg,
                            const Job& job, const RunSettings& settings,
                            bool transport_prepared) {
  const Options& opt = settings.options;
  return {settings.executable,
          cs.info->name,
          cfg,
          job.to_json(),
          cs.placement.peer_cpu,
          std::chrono::milliseconds(
              static_cast<std::int64_t>(opt.timeout_s * 1000)),
          opt.fault,
          transport_prepared};
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
              const RunSettings& settings, std::barrier<>* together,
              Outcome& out) {
  const Scenario& s = *cs.scenario;
  // Declared in this order so that the peers (a process peer's Pair tears
  // the transport down) go first and the private directory last.
  std::optional<harness::IpcNames> names;
  std::unique_ptr<transports::Transport> transport;
  Peers peers;
  bool arrived = false;
  try {
    harness::pin_current_thread(cs.placement.driver_cpu);
    names.emplace();
    transports::Config cfg{cs.bytes,        cs.wait,       names->dir(),
                           names->prefix(), job.producers, cs.capacity_bytes};
    transport = transports::create_transport(cs.info->name, cfg);
    const std::vector<Job> jobs = s.peer_jobs(job);
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      peers.push_back(start_peer(peer_spec(cs, cfg, jobs[i], settings, i > 0),
                                 jobs[i], *transport,
                                 cs.info->caps.in_process));
    }
    // Only now: connecting may close the ends the peers inherited.
    transport->connect(transports::Role::kDriver);
    for (auto& p : peers) p->start_gate();
    if (together) together->arrive_and_wait(), arrived = true;
    drive(s, loop, *transport, job, out.m, [&] {
      for (auto& p : peers) p->warm_gate();
    });
    out.applied = transport->applied_settings();
    out.capacity = transport->capacity();
    for (auto& p : peers) out.done.push_back(p->finish());
    out.driver_cpu = ::sched_getcpu();
  } catch (const std::exception& e) {
    out.error = explain(s, peers, e);
    if (together && !arrived) together->arrive_and_drop();
  }
  peers.clear();  // ends the peers that still run
  if (transport) transport->teardown();
}

template void run_once(benchmark::State&, const Case&, const Job&,
                       const RunSettings&, std::barrier<>*, Outcome&);
template void run_once(CountedLoop&, const Case&, const Job&,
                       const RunSettings&, std::barrier<>*, Outcome&);

}  // namespace ipcb::bench
