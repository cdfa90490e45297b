#include "bench/report.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace ipcb::bench {

using nlohmann::ordered_json;

ordered_json latency_json(const harness::Distribution& d) {
  ordered_json p = ordered_json::object();
  for (const auto& [q, v] : d.percentiles) {
    char key[16];
    std::snprintf(key, sizeof key, "%g", q);
    p[key] = v;
  }
  return {{"unit", "ns"},
          {"count", d.summary.count},
          {"mean_ns", d.summary.mean},
          {"stddev_ns", d.summary.stddev},
          {"min_ns", d.summary.min},
          {"max_ns", d.summary.max},
          {"percentiles_ns", p}};
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
  auto c = [&](const char* what, double v) {
    state.counters[std::string(prefix) + what] = v;
  };
  c("_p50_ns", d.at(50));
  c("_p99_ns", d.at(99));
  c("_p999_ns", d.at(99.9));
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

void report_cpu(benchmark::State& state, const Measurement& m,
                const PeerCost& peer, ordered_json& rec) {
  auto per_msg = [](const CpuCost& c, std::int64_t msgs) {
    const double n = static_cast<double>(std::max<std::int64_t>(msgs, 1));
    return ordered_json{
        {"user_ns_per_msg", c.user_ns / n},
        {"system_ns_per_msg", c.system_ns / n},
        {"voluntary_switches_per_msg", c.voluntary_switches / n},
        {"involuntary_switches_per_msg", c.involuntary_switches / n}};
  };
  rec["cpu"] = {{"driver", per_msg(m.driver_cpu, m.driver_messages)},
                {"peer", per_msg(peer.cost, peer.messages)},
                {"source", peer.source}};
  state.counters["cpu_driver_ns_per_msg"] =
      static_cast<double>(m.driver_cpu.user_ns + m.driver_cpu.system_ns) /
      static_cast<double>(std::max<std::int64_t>(m.driver_messages, 1));
  state.counters["cpu_peer_ns_per_msg"] =
      static_cast<double>(peer.cost.user_ns + peer.cost.system_ns) /
      static_cast<double>(std::max<std::int64_t>(peer.messages, 1));
}

}  // namespace ipcb::bench
