#include "bench/report.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "harness/clock_sync.hpp"

namespace ipcb::bench {

using nlohmann::ordered_json;

ordered_json latency_json(const harness::Distribution& d) {
  ordered_json p = ordered_json::object();
  for (const auto& [q, v] : d.percentiles) {
    char key[16];
    std::snprintf(key, sizeof key, "%g", q);
    p[key] = v;
  }
  ordered_json j = {{"unit", "ns"},
                    {"count", d.summary.count},
                    {"mean_ns", d.summary.mean},
                    {"stddev_ns", d.summary.stddev},
                    {"min_ns", d.summary.min},
                    {"max_ns", d.summary.max},
                    {"percentiles_ns", p}};
  if (!d.missing.empty()) {
    ordered_json missing = ordered_json::object();
    for (double q : d.missing) {
      char key[16];
      std::snprintf(key, sizeof key, "%g", q);
      missing[key] = harness::samples_needed(q);
    }
    j["percentiles_missing"] = {
        {"samples_needed", missing},
        {"rule",
         "p is recorded from at least 10/(1-p/100) samples; count has too "
         "few"}};
  }
  return j;
}

void set_percentile_counter(benchmark::State& state, const std::string& name,
                            const harness::Distribution& d, double p) {
  if (auto v = d.find(p)) state.counters[name] = static_cast<double>(*v);
}

ordered_json distribution_json(std::vector<std::int64_t>& samples) {
  harness::Distribution d = harness::describe(samples);
  return latency_json(d);
}

ordered_json peer_distribution(const nlohmann::json& done, const char* key,
                               harness::Distribution& out) {
  const auto& j = done.at(key);
  for (const auto& [k, v] : j.at("percentiles_ns").items())
    out.percentiles.emplace_back(std::stod(k), v.get<std::int64_t>());
  out.summary.count = j.at("count");
  out.summary.min = j.at("min_ns");
  out.summary.max = j.at("max_ns");
  out.summary.mean = j.at("mean_ns");
  out.summary.stddev = j.at("stddev_ns");
  return ordered_json(j);
}

void set_latency_counters(benchmark::State& state, const char* prefix,
                          const harness::Distribution& d) {
  auto c = [&](const char* what, double p) {
    set_percentile_counter(state, std::string(prefix) + what, d, p);
  };
  c("_p50_ns", 50);
  c("_p99_ns", 99);
  c("_p999_ns", 99.9);
}

ordered_json cpus_observed(const Outcome& run) {
  return {{"driver", run.driver_cpu},
          {"peer", run.done.at(0).value("cpu", -1)}};
}

void check_integrity(const Outcome& run, ordered_json& out,
                     const std::string& who) {
  const Integrity& mine = run.m.integrity;
  Integrity peer = Integrity::from_json(run.done.at(0).at("integrity"));
  out = {{"driver_received", mine.to_json()},
         {"peer_received", peer.to_json()}};
  if (!peer.ok())
    throw std::runtime_error(
        who + "integrity check failed at the peer: " + peer.describe());
  if (!mine.ok())
    throw std::runtime_error(
        who + "integrity check failed at the driver: " + mine.describe());
}

harness::PhaseOverlap pairs_overlap(const std::vector<Outcome>& runs) {
  std::vector<std::int64_t> starts, ends;
  for (const Outcome& r : runs) {
    starts.push_back(r.m.timed_start_ns);
    ends.push_back(r.m.timed_end_ns);
  }
  return harness::phase_overlap(starts, ends);
}

void report_aggregate(benchmark::State& state, const std::vector<Outcome>& runs,
                      std::int64_t messages, std::int64_t bytes,
                      const char* rate_key, bool total_suffix,
                      ordered_json& rec) {
  const harness::PhaseOverlap o = pairs_overlap(runs);
  const double secs = static_cast<double>(o.span_ns) * 1e-9;
  const double msgs = static_cast<double>(messages);
  const double rate = secs > 0 ? msgs / secs : 0;
  ordered_json agg = {{"messages", messages}};
  if (bytes > 0) agg["bytes"] = bytes;
  agg["span_ns"] = o.span_ns;
  agg[rate_key] = rate;
  if (bytes > 0)
    agg["bytes_per_second"] =
        secs > 0 ? static_cast<double>(bytes) / secs : 0.0;
  agg["all_running_ns"] = o.all_running_ns;
  agg["overlap"] = o.overlap;
  agg["method"] =
      "all pairs' messages / (latest end - earliest start of their timed "
      "phases, CLOCK_MONOTONIC); the pairs meet at a barrier after every "
      "pair's warm-up, right before their timed phases; overlap = time all "
      "pairs were in their timed phase at once / that span";
  state.counters[std::string(rate_key) + (total_suffix ? "_total" : "")] = rate;
  if (bytes > 0) state.counters["bytes_per_second"] = agg["bytes_per_second"];
  state.counters["pairs_overlap"] = o.overlap;
  rec["aggregate"] = agg;
}

namespace {

double per_unit(std::int64_t ns, std::int64_t units) {
  return static_cast<double>(ns) /
         static_cast<double>(std::max<std::int64_t>(units, 1));
}

// One side's cost per unit ("_per_msg": per message, or per round trip
// where the record's cpu.per says so).
ordered_json side_json(const CpuCost& c, std::int64_t units) {
  ordered_json j = {
      {"ns_per_msg", per_unit(c.transport_ns(), units)},
      {"user_ns_per_msg", per_unit(c.user_ns, units)},
      {"system_ns_per_msg", per_unit(c.system_ns, units)},
      {"transport_threads_ns_per_msg", per_unit(c.transport_threads_ns, units)},
      {"voluntary_switches_per_msg", per_unit(c.voluntary_switches, units)},
      {"involuntary_switches_per_msg", per_unit(c.involuntary_switches, units)},
      {"units", units}};
  if (c.pacing_ns != 0) j["pacing_ns_per_msg"] = per_unit(c.pacing_ns, units);
  j["run_delay_ns"] =
      c.run_delay_ns < 0 ? ordered_json(nullptr) : ordered_json(c.run_delay_ns);
  j["wall_ns"] = c.wall_ns;
  return j;
}

}  // namespace

ordered_json pair_cpu_json(const Outcome& run, const Scenario& s) {
  const PeerCost peer = s.peer_cost(run);
  return {{"per", s.cpu_per()},
          {"driver_ns",
           per_unit(run.m.driver_cpu.transport_ns(), run.m.driver_messages)},
          {"peer_ns", per_unit(peer.cost.transport_ns(), peer.messages)}};
}

ordered_json contention_json(const CpuCost& driver, const CpuCost& peer,
                             const std::vector<int>& cpus) {
  auto fraction = [](const CpuCost& c) {
    return c.run_delay_ns < 0 || c.wall_ns <= 0
               ? ordered_json(nullptr)
               : ordered_json(static_cast<double>(c.run_delay_ns) /
                              static_cast<double>(c.wall_ns));
  };
  ordered_json j = {{"driver_run_delay_fraction", fraction(driver)},
                    {"peer_run_delay_fraction", fraction(peer)},
                    {"threshold", kContentionFraction}};
  std::string why;
  std::vector<int> sorted = cpus;
  std::sort(sorted.begin(), sorted.end());
  if (j["driver_run_delay_fraction"].is_null() ||
      j["peer_run_delay_fraction"].is_null()) {
    why = "the kernel does not report run delays (no schedstat)";
  } else if (sorted.empty() || sorted.front() < 0) {
    why = "not pinned: the loops may share a CPU";
  } else if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    why = "the loops share a CPU: each waits for the other";
  } else if (driver.transport_threads_ns > 0 || peer.transport_threads_ns > 0) {
    why = "the transport's own threads share the loops' CPUs";
  } else if (driver.daemon_ns > 0) {
    why = "the transport's daemon (a broker) shares the loops' CPUs";
  }
  j["judged"] = why.empty();
  if (why.empty()) {
    j["contended"] = std::max(j["driver_run_delay_fraction"].get<double>(),
                              j["peer_run_delay_fraction"].get<double>()) >
                     kContentionFraction;
  } else {
    j["contended"] = false;
    j["not_judged"] = why;
  }
  j["method"] =
      "each side's loop thread: time runnable but waiting for its CPU "
      "(/proc/thread-self/schedstat run_delay) / wall time, over the timed "
      "phase; with the loops on CPUs of their own, that wait is other work "
      "on those CPUs";
  return j;
}

void report_cpu(benchmark::State& state, const std::vector<Outcome>& runs,
                const Scenario& s, ordered_json& rec) {
  CpuCost peer;
  std::int64_t driver_units = 0, peer_units = 0;
  std::string source;
  std::vector<CpuCost> drivers;
  for (const Outcome& run : runs) {
    drivers.push_back(run.m.driver_cpu);
    driver_units += run.m.driver_messages;
    const PeerCost p = s.peer_cost(run);
    peer += p.cost;
    peer_units += p.messages;
    source = p.source;
  }
  // The pairs' drivers run in this process: a transport thread or daemon
  // they share counts once in the whole (each pair's own figure has it).
  bool shared = false;
  const CpuCost driver = counted_once(drivers, &shared);
  rec["cpu"] = {{"per", s.cpu_per()},
                {"driver", side_json(driver, driver_units)},
                {"peer", side_json(peer, peer_units)},
                {"source", source}};
  if (shared) {
    rec["cpu"]["shared"] =
        "the pairs' drivers share some of the transport's threads or its "
        "daemon (gRPC's process-wide threads, the run's one RouDi): counted "
        "once here, and in full in each pair's own figure";
  }
  std::vector<int> cpus;
  for (const Outcome& run : runs) {
    cpus.push_back(run.driver_cpu);
    for (const auto& d : run.done) cpus.push_back(d.value("cpu", -1));
  }
  if (rec.contains("placement") &&
      rec["placement"].value("driver_cpu", -1) < 0) {
    cpus.assign(1, -1);  // not pinned: where they ended says little
  }
  if (driver.daemon_ns > 0) {  // the transport's broker, measured whole
    rec["cpu"]["daemon"] = {
        {"ns_per_msg", per_unit(driver.daemon_ns, driver_units)},
        {"units", driver_units}};
    state.counters["cpu_daemon_ns_per_msg"] =
        per_unit(driver.daemon_ns, driver_units);
  }
  rec["contention"] = contention_json(driver, peer, cpus);
  state.counters["cpu_driver_ns_per_msg"] =
      per_unit(driver.transport_ns(), driver_units);
  state.counters["cpu_peer_ns_per_msg"] =
      per_unit(peer.transport_ns(), peer_units);
  if (driver.pacing_ns != 0) {
    state.counters["cpu_pacing_ns_per_msg"] =
        per_unit(driver.pacing_ns, driver_units);
  }
}

void shift_distribution(ordered_json& d, std::int64_t delta) {
  for (auto& [k, v] : d["percentiles_ns"].items())
    v = v.get<std::int64_t>() + delta;
  for (const char* key : {"min_ns", "max_ns"})
    if (d.contains(key)) d[key] = d[key].get<std::int64_t>() + delta;
  if (d.contains("mean_ns")) d["mean_ns"] = d["mean_ns"].get<double>() + delta;
}

bool one_way_trusted(const nlohmann::json& clock, double figure_ns,
                     std::string& why) {
  const double u = clock.at("uncertainty_ns").get<double>();
  if (u <= harness::kOnewayUncertaintyFraction * figure_ns) return true;
  why = "across hosts the clock offset is known to +-" +
        std::to_string(static_cast<std::int64_t>(u)) + " ns, more than " +
        std::to_string(
            static_cast<int>(harness::kOnewayUncertaintyFraction * 100)) +
        " % of the one-way figure (" +
        std::to_string(static_cast<std::int64_t>(figure_ns)) +
        " ns): one-way figures are not reported";
  return false;
}

nlohmann::json remote_clock(const nlohmann::json& done) {
  if (!done.contains("remote")) return nullptr;
  const auto& c = done["remote"].at("clock");
  return {{"offset_ns", c.at("offset_ns")},
          {"uncertainty_ns", c.at("uncertainty_ns")}};
}

}  // namespace ipcb::bench
