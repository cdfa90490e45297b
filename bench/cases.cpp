#include "bench/cases.hpp"

#include <barrier>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "bench/calibration.hpp"
#include "bench/case_memo.hpp"
#include "bench/peer_run.hpp"
#include "bench/plan.hpp"
#include "bench/report.hpp"
#include "sys/cancel.hpp"

namespace ipcb::bench {

using nlohmann::ordered_json;

namespace {

ordered_json location_json(const harness::Pu& pu) {
  return {{"core", pu.core},
          {"l3", pu.l3},
          {"numa", pu.numa},
          {"package", pu.package}};
}

}  // namespace

ordered_json placement_json(const harness::Placement& place) {
  ordered_json j = {{"preset", place.preset},
                    {"driver_cpu", place.driver_cpu},
                    {"peer_cpu", place.peer_cpu}};
  if (!place.unavailable.empty()) j["unavailable"] = place.unavailable;
  if (!place.shares.empty()) {
    j["shares"] = place.shares;
    j["sharing"] = place.sharing;
    j["driver_topology"] = location_json(place.driver_pu);
    j["peer_topology"] = location_json(place.peer_pu);
  }
  return j;
}

ordered_json capacity_json(std::size_t asked) {
  ordered_json j = {{"mode", asked == 0 ? "default" : "equal"}};
  j["asked_bytes"] = asked == 0 ? ordered_json(nullptr) : ordered_json(asked);
  return j;
}

void add_applied_capacity(ordered_json& j, const transports::Capacity& c) {
  j["applied_bytes"] = c.applied_bytes < 0 ? ordered_json(nullptr)
                                           : ordered_json(c.applied_bytes);
  if (!c.source.empty()) j["source"] = c.source;
  if (c.applied_bytes < 0) j["reason"] = c.reason;
  if (!c.limit.empty()) j["limit"] = c.limit;
  if (!c.sysctl.empty()) j["sysctl"] = c.sysctl;
}

namespace {

// Every setting that tells the case's record apart from another's.
ordered_json record_settings(const Case& cs, const Options& opt) {
  const harness::Placement& place = cs.placement;
  ordered_json rec = {{"name", cs.name},
                      {"scenario", cs.scenario->name()},
                      {"transport", cs.info->name},
                      {"wait", transports::to_string(cs.wait)},
                      {"message_bytes", cs.bytes},
                      {"placement", placement_json(place)},
                      {"capacity", capacity_json(cs.capacity_bytes)},
                      {"pairs", opt.pairs},
                      {"verify", opt.verify}};
  for (const auto& [key, value] : cs.variant.record.items()) rec[key] = value;
  return rec;
}

// Warm-up messages per case, sized from the previous invocation of the same
// case so that the warm-up lasts at least kMinWarmupNs (Google Benchmark
// invokes a case several times: the first sizes the next).
struct PlannedWarmup {
  std::int64_t messages = 0;
  // The previous invocation's warm-up it was sized from.
  std::int64_t from_messages = 0;
  std::int64_t from_ns = 0;
};
CaseMemoOf<PlannedWarmup> g_warmup;

std::int64_t planned_warmup(const Case& cs) {
  if (auto w = g_warmup.find(cs.name)) return w->messages;
  return warmup_count(cs.bytes);
}

// The warm-up the runs measured: into the record, and the next
// invocation's count.
void record_warmup(const Case& cs, const Job& job,
                   const std::vector<Outcome>& runs, ordered_json& rec) {
  std::int64_t shortest = -1;
  for (const Outcome& run : runs) {
    if (shortest < 0 || run.m.warmup_ns < shortest) shortest = run.m.warmup_ns;
  }
  rec["warmup"] = {
      {"messages", job.warmup},
      {"ns", shortest},
      {"min_ns", kMinWarmupNs},
      {"method",
       "at least ~16 MiB of traffic (10 to 1000 messages) and at least "
       "min_ns, the count sized from the previous invocation of the same "
       "benchmark"}};
  // The first invocation of a case has no previous one to size it from.
  if (shortest < kMinWarmupNs) rec["warmup"]["below_min"] = true;
  if (auto w = g_warmup.find(cs.name))
    rec["warmup"]["sized_from"] = {{"messages", w->from_messages},
                                   {"ns", w->from_ns}};
  g_warmup.set(cs.name, {std::max(warmup_count(cs.bytes),
                                  warmup_for_time(job.warmup, shortest)),
                         job.warmup, shortest});
}

Job case_job(const Case& cs, const Options& opt, std::int64_t iterations) {
  Job job;
  job.scenario = cs.scenario->name();
  job.message_bytes = cs.bytes;
  job.iterations = iterations;
  job.warmup = planned_warmup(cs);
  job.verify = opt.verify;
  job.malloc = harness::to_string(opt.malloc);
  job.rate_per_s = cs.variant.rate_per_s;
  job.producers = cs.variant.producers;
  job.consumers = cs.variant.consumers;
  job.may_drop = cs.info->caps.fanout == transports::Fanout::kMayDrop;
  cs.scenario->plan(job, cs.name);
  return job;
}

// Each run's CPUs (one run per pair; fan-in: one run, a CPU per
// producer), from the machine's topology under the case's placement, and
// the assignment as the record's placement keeps it.
struct Assignment {
  std::vector<RunCpus> runs;
  ordered_json record = ordered_json::object();
};

Assignment assign_cpus(const Case& cs, const Options& opt) {
  const harness::Topology& topo = harness::machine_topology();
  const std::vector<int>& allowed = harness::initial_cpus();
  Assignment out;
  if (!opt.remote.empty()) {
    // The peer's CPU is the server's (--remote-cpus); this side's is
    // --cpus=N, else the placement's driver CPU.
    const int driver =
        opt.remote_driver_cpu >= 0
            ? opt.remote_driver_cpu
            : harness::assign_pairs(cs.placement, topo, allowed, 1)
                  .pairs.at(0)
                  .driver_cpu;
    const int peer = opt.remote_cpus.empty() ? -1 : opt.remote_cpus.front();
    out.runs.push_back({driver, {peer}});
    out.record["driver_cpu"] = driver;
    out.record["remote_peer_cpu"] = peer;
    out.record["across_hosts"] = true;
    return out;
  }
  // Fan-in's consumer, or fan-out's producer, is the hub; the peers are
  // the spokes.
  const bool fanin = cs.variant.producers > 0;
  const int spokes = fanin ? cs.variant.producers : cs.variant.consumers;
  if (spokes > 0) {
    const harness::FaninAssignment a =
        harness::assign_fanin(cs.placement, topo, allowed, spokes);
    out.runs.push_back({a.consumer_cpu, a.producer_cpus});
    out.record[fanin ? "consumer_cpu" : "producer_cpu"] = a.consumer_cpu;
    out.record[fanin ? "producer_cpus" : "consumer_cpus"] = a.producer_cpus;
    out.record["shared_cores"] = a.shared_cores;
    out.record["oversubscribed"] = a.oversubscribed;
    return out;
  }
  const harness::PairAssignment a =
      harness::assign_pairs(cs.placement, topo, allowed, opt.pairs);
  ordered_json list = ordered_json::array();
  for (std::size_t i = 0; i < a.pairs.size(); ++i) {
    const harness::PairCpus& p = a.pairs[i];
    out.runs.push_back({p.driver_cpu, {p.peer_cpu}});
    ordered_json entry = {
        {"pair", i}, {"driver_cpu", p.driver_cpu}, {"peer_cpu", p.peer_cpu}};
    if (p.driver_cpu >= 0)
      entry["sharing"] =
          harness::describe_sharing(topo, p.driver_cpu, p.peer_cpu);
    list.push_back(entry);
  }
  if (opt.pairs > 1) {
    out.record["assignment"] = list;
    out.record["shared_cores"] = a.shared_cores;
    out.record["oversubscribed"] = a.oversubscribed;
  }
  return out;
}

// --pairs runs (one or more) at once, each on its own CPUs: the first on
// Google Benchmark's state, the others on threads of their own, all
// starting their timed phases together.
std::vector<Outcome> run_pairs(benchmark::State& state, const Case& cs,
                               const Job& job, const RunSettings& settings,
                               const Assignment& cpus) {
  std::vector<Outcome> runs(static_cast<std::size_t>(settings.options.pairs));
  std::optional<PairsSync> sync;
  if (runs.size() > 1)
    sync.emplace(settings.options.pairs, settings.options.pairs_in_turn);
  PairsSync* shared = sync ? &*sync : nullptr;
  std::vector<std::thread> extra;
  std::vector<CountedLoop> loops(runs.size(), CountedLoop(job.iterations));
  for (std::size_t i = 1; i < runs.size(); ++i) {
    extra.emplace_back([&, i] {
      run_once(loops[i], cs, job, settings, cpus.runs.at(i), shared, i,
               runs[i]);
    });
  }
  run_once(state, cs, job, settings, cpus.runs.at(0), shared, 0, runs[0]);
  for (auto& t : extra) t.join();
  return runs;
}

void throw_first_error(const std::vector<Outcome>& runs) {
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (runs[i].error.empty()) continue;
    throw std::runtime_error(
        (runs.size() > 1 ? "pair " + std::to_string(i) + ": " : "") +
        runs[i].error);
  }
}

// Per-pair figures and the aggregate over --pairs concurrent pairs.
void report_pairs(benchmark::State& state, const Scenario& s, const Job& job,
                  std::vector<Outcome>& runs, ordered_json& rec) {
  rec["cpus_observed"] = cpus_observed(runs[0]);
  for (std::size_t i = 0; job.verify && i < runs.size(); ++i) {
    check_integrity(runs[i], rec["integrity"][i],
                    "pair " + std::to_string(i) + ": ");
  }
  ordered_json per_pair = ordered_json::array();
  for (std::size_t i = 0; i < runs.size(); ++i) {
    ordered_json entry = {{"pair", i},
                          {"cpus_observed", cpus_observed(runs[i])},
                          {"timed_start_ns", runs[i].m.timed_start_ns},
                          {"timed_end_ns", runs[i].m.timed_end_ns}};
    s.report_pair(job, runs[i], entry);
    entry["cpu"] = pair_cpu_json(runs[i], s);
    per_pair.push_back(entry);
  }
  rec["pairs"] = per_pair;
  state.counters["pairs"] = static_cast<double>(runs.size());
  s.report_pairs(state, job, runs, rec);
}

// Counters and record of a case whose runs all succeeded; throws when the
// scenario finds them wrong.
void report_runs(benchmark::State& state, const Case& cs, const Job& job,
                 std::vector<Outcome>& runs, ordered_json& rec) {
  const Scenario& s = *cs.scenario;
  rec["applied"] = runs[0].applied;
  if (!runs[0].done.empty() && runs[0].done[0].contains("remote"))
    rec["remote"] = runs[0].done[0]["remote"];
  record_warmup(cs, job, runs, rec);
  add_applied_capacity(rec["capacity"], runs[0].capacity);
  if (runs.size() > 1) {
    report_pairs(state, s, job, runs, rec);
  } else {
    s.report_sides(job, runs[0], rec);
    s.report(state, job, runs[0], rec);
  }
  report_cpu(state, runs, s, rec);
  if (rec.contains("remote")) {
    const auto& p = rec["placement"];
    state.SetLabel("cpu " + p["driver_cpu"].dump() + ", peer on " +
                   rec["remote"]["server"].get<std::string>() +
                   (p["remote_peer_cpu"] >= 0
                        ? " cpu " + p["remote_peer_cpu"].dump()
                        : std::string()));
  } else {
    state.SetLabel(cs.placement.describe());
  }
}

// rate: the offered rate of a percentage, from the case's measured stream
// capacity (into the job and the record), and how the offered rate
// relates to that capacity (the record's rate.relative). Throws when a
// percentage has no capacity to be a percentage of.
ordered_json settle_rate(const Case& cs, const RunSettings& settings, Job& job,
                         ordered_json& rec) {
  const StreamCapacity c = stream_capacity(cs, settings);
  const double percent = cs.variant.rate_percent;
  if (percent > 0) {
    if (!c.error.empty()) throw std::runtime_error(c.error);
    job.rate_per_s = offered_rate(percent, c.msgs_per_s);
    if (job.rate_per_s < 1)
      throw std::runtime_error("rate: " + cs.variant.suffix.substr(1) +
                               " of the measured stream capacity (" +
                               std::to_string(c.msgs_per_s) +
                               " msgs/s) is below 1 message per second; "
                               "offer a larger percentage");
    rec["offered_rate_per_s"] = job.rate_per_s;
  }
  return relative_json(percent, job.rate_per_s, c);
}

void run_case_body(benchmark::State& state, const Case& cs,
                   const RunSettings& settings, RecordStore& store,
                   ordered_json rec) {
  if (auto skip = skip_reason(cs, settings.options)) {
    rec["skipped"] = *skip;
    state.counters[kRecordCounter] = static_cast<double>(store.add(rec));
    state.SkipWithError(("skipped: " + *skip).c_str());
    return;
  }
  Job job = case_job(cs, settings.options, state.max_iterations);
  ordered_json relative;
  if (cs.variant.rate_percent > 0 || cs.variant.rate_per_s > 0) {
    try {
      relative = settle_rate(cs, settings, job, rec);
    } catch (const std::exception& e) {
      rec["error"] = e.what();
      state.counters[kRecordCounter] = static_cast<double>(store.add(rec));
      state.SkipWithError(e.what());
      return;
    }
  }
  rec["iterations"] = job.iterations;
  rec["warmup_messages"] = job.warmup;
  const Assignment cpus = assign_cpus(cs, settings.options);
  for (const auto& [key, value] : cpus.record.items())
    rec["placement"][key] = value;
  if (cpus.record.contains("across_hosts")) {  // no peer on this host
    rec["placement"]["peer_cpu"] = -1;
    for (const char* key : {"sharing", "shares", "topology"})
      rec["placement"].erase(key);
  }
  std::vector<Outcome> runs = run_pairs(state, cs, job, settings, cpus);
  try {
    throw_first_error(runs);
    report_runs(state, cs, job, runs, rec);
    if (!relative.is_null()) rec["rate"]["relative"] = relative;
    state.counters[kRecordCounter] = static_cast<double>(store.add(rec));
  } catch (const std::exception& e) {
    rec["error"] = e.what();
    state.counters[kRecordCounter] = static_cast<double>(store.add(rec));
    state.SkipWithError(e.what());
  }
}

void run_case(benchmark::State& state, const Case& cs,
              const RunSettings& settings, RecordStore& store) {
  if (int sig = sys::stop_signal()) settings.on_interrupt(sig);
  ordered_json rec = record_settings(cs, settings.options);
  if (settings.on_case_start) settings.on_case_start(cs.name, rec);
  sys::reset_cancel();
  // Cleans up everything it made.
  run_case_body(state, cs, settings, store, std::move(rec));
  sys::reset_cancel();
  if (int sig = sys::stop_signal()) settings.on_interrupt(sig);
}

}  // namespace

int register_cases(const RunSettings& settings, RecordStore& store) {
  int n = 0;
  for (const Case& cs : plan_cases(settings.options)) {
    benchmark::RegisterBenchmark(cs.name.c_str(), [cs, &settings, &store](
                                                      benchmark::State& st) {
      run_case(st, cs, settings, store);
    })->UseManualTime();
    ++n;
  }
  return n;
}

}  // namespace ipcb::bench
