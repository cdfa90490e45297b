// Helpers that turn measurements into Google Benchmark counters and results
// records, shared by the scenarios' reports.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/scenario.hpp"
#include "harness/stats.hpp"

namespace ipcb::bench {

// A latency distribution as recorded in the results file (count, mean,
// stddev, min, max, percentiles_ns keyed "0".."100").
nlohmann::ordered_json latency_json(const harness::Distribution& d);
// Sorts `samples` and records their distribution (what a peer reports).
nlohmann::ordered_json distribution_json(std::vector<std::int64_t>& samples);
// Reads back a distribution a peer reported under `key` into `out`;
// returns it as recorded.
nlohmann::ordered_json peer_distribution(const nlohmann::json& done,
                                         const char* key,
                                         harness::Distribution& out);

// Counter `name` = percentile p of d, left out when d has too few samples
// for p (harness/stats.hpp): a missing figure, never a stand-in.
void set_percentile_counter(benchmark::State& state, const std::string& name,
                            const harness::Distribution& d, double p);

// Counters <prefix>_p50_ns, <prefix>_p99_ns and <prefix>_p999_ns (those
// with enough samples).
void set_latency_counters(benchmark::State& state, const char* prefix,
                          const harness::Distribution& d);

// {"driver": CPU, "peer": CPU} where each side of a one-peer run ended.
nlohmann::ordered_json cpus_observed(const Outcome& run);

// Records both sides' --verify counts of a one-peer run in `out`; throws on
// any error, the message starting with `who` ("" or "pair 2: ").
void check_integrity(const Outcome& run, nlohmann::ordered_json& out,
                     const std::string& who);

// --pairs: how the pairs' timed phases (Measurement::timed_start_ns ..
// timed_end_ns) lay on the clock: their span and how long all ran at once.
harness::PhaseOverlap pairs_overlap(const std::vector<Outcome>& runs);
// --pairs: rec["aggregate"] of `messages` (the pairs' total; a round trip
// counts once) over the span of the timed phases, keyed `rate_key`
// ("round_trips_per_s", "msgs_per_s"), with `bytes` (0: none) per second,
// the span, the overlap and the method; also the counters `rate_key`
// (+ "_total" when `total_suffix`), bytes_per_second and pairs_overlap.
void report_aggregate(benchmark::State& state, const std::vector<Outcome>& runs,
                      std::int64_t messages, std::int64_t bytes,
                      const char* rate_key, bool total_suffix,
                      nlohmann::ordered_json& rec);

// CPU time and context switches of both sides over the timed phase, per
// `per` ("message" or "round_trip"): "cpu" and the cpu_*_ns_per_msg
// counters. With --pairs, over all pairs together (the record's "pairs"
// entries carry each pair's).
void report_cpu(benchmark::State& state, const std::vector<Outcome>& runs,
                const Scenario& s, nlohmann::ordered_json& rec);
// Above this fraction of the timed phase spent waiting for its CPU, a
// side's figure is marked contended.
inline constexpr double kContentionFraction = 0.05;
// Whether other work took the measured CPUs during the timed phase
// (rec["contention"]): each side's run delay / wall time, judged only
// when the loops ran on distinct CPUs (`cpus`: every loop's; -1 when not
// pinned) with no transport threads of their own, since otherwise the
// wait may be the benchmark's own doing.
nlohmann::ordered_json contention_json(const CpuCost& driver,
                                       const CpuCost& peer,
                                       const std::vector<int>& cpus);
// One pair's CPU cost per `per`, for its entry of the record's "pairs".
nlohmann::ordered_json pair_cpu_json(const Outcome& run, const Scenario& s);

// Across hosts (a peer report with "remote", bench/remote.hpp): the clock
// offset (server - driver, ns) and its uncertainty, else null. A
// distribution the peer timed from a driver's stamp moves onto the
// driver's clock by -offset (shift_distribution); one the driver timed
// from a peer's stamp by +offset.
nlohmann::json remote_clock(const nlohmann::json& done);
void shift_distribution(nlohmann::ordered_json& d, std::int64_t delta);
// False, with the reason in `why`, when the offset's uncertainty is above
// harness::kOnewayUncertaintyFraction of `figure_ns`: one-way figures are
// then not reported.
bool one_way_trusted(const nlohmann::json& clock, double figure_ns,
                     std::string& why);

}  // namespace ipcb::bench
