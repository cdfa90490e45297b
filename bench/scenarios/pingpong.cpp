// pingpong: the driver sends the full payload, the peer returns the full
// payload. With the TSC timer each sample is one round trip. With the
// clock (no usable TSC, or --timer=clock) a sample is the mean of `batch`
// back-to-back round trips when a round trip is so short that the clock's
// own cost would dominate: such a record is of kind batch_mean, its
// counters are named rtt_batch_mean_*, and the batch size is recorded.
// Runs with --pairs: per-pair figures, and all pairs' round trips over the
// span of their timed phases.
#include <algorithm>
#include <map>
#include <mutex>
#include <string>

#include "bench/case_memo.hpp"
#include "bench/job.hpp"
#include "bench/report.hpp"
#include "bench/scenarios/registry.hpp"
#include "bench/scenarios/round_trip.hpp"
#include "harness/tsc.hpp"

namespace ipcb::bench {

namespace {

using nlohmann::ordered_json;
using transports::Transport;

// Round trips per pingpong sample, calibrated from the previous invocation
// of the same case (batch_for_round_trip, bench/job.hpp).
CaseMemo g_batch;

std::int64_t batch_for(const std::string& name) { return g_batch.get(name, 1); }

void calibrate_batch(const std::string& name, std::int64_t rtt_p50_ns) {
  g_batch.set(name, batch_for_round_trip(rtt_p50_ns));
}

void report_pingpong(benchmark::State& state, const Job& job, Measurement& m,
                     ordered_json& rec) {
  harness::Distribution d = harness::describe(m.rtt_ns);
  const auto p50 = d.find(50).value_or(0);
  calibrate_batch(rec["name"], p50);
  // Batch means are named so: their tails are not a round trip's tails.
  const bool means = job.batch > 1;
  const std::string prefix = means ? "rtt_batch_mean_" : "rtt_";
  set_percentile_counter(state, prefix + "p50_ns", d, 50);
  set_percentile_counter(state, prefix + "p90_ns", d, 90);
  set_percentile_counter(state, prefix + "p99_ns", d, 99);
  set_percentile_counter(state, prefix + "p999_ns", d, 99.9);
  state.counters[prefix + "min_ns"] = d.summary.min;
  state.counters[prefix + "max_ns"] = d.summary.max;
  state.counters["one_way_est_ns"] = p50 / 2.0;
  rec["latency"] = latency_json(d);
  rec["latency"]["kind"] = means ? "batch_mean" : "round_trip";
  rec["latency"]["batch"] = job.batch;
  rec["latency"]["timer"] = harness::round_trip_timer().source();
}

// One pair's round trips per second, over the time its samples took.
double round_trips_per_s(const Job& job, const Measurement& m) {
  std::int64_t busy = 0;
  for (auto x : m.rtt_ns) busy += x * job.batch;
  return static_cast<double>(job.timed_messages()) /
         (static_cast<double>(busy) * 1e-9);
}

class Pingpong final : public PairedScenario<Pingpong> {
 public:
  std::string name() const override { return "pingpong"; }
  const char* cpu_per() const override { return "round_trip"; }
  bool alternates() const override { return true; }
  // One round trip per sample with the TSC; batches only on the clock.
  void plan(Job& job, const std::string& case_name) const override {
    job.batch = harness::round_trip_timer().tsc ? 1 : batch_for(case_name);
  }
  nlohmann::json serve(Transport& t, const Job& job, const Fault& f,
                       const Gate&) const override {
    return round_trip::serve_pingpong(t, job, f, false);
  }
  void report(benchmark::State& state, const Job& job, Outcome& run,
              ordered_json& rec) const override {
    report_pingpong(state, job, run.m, rec);
  }
  void report_pair(const Job& job, Outcome& run,
                   ordered_json& entry) const override {
    harness::Distribution d = harness::describe(run.m.rtt_ns);
    entry["round_trips_per_s"] = round_trips_per_s(job, run.m);
    entry["rtt_p50_ns"] = d.find(50).value_or(0);
    if (auto p99 = d.find(99)) entry["rtt_p99_ns"] = *p99;
  }
  // All pairs' samples in one distribution; all pairs' round trips over
  // the span of their timed phases.
  void report_pairs(benchmark::State& state, const Job& job,
                    std::vector<Outcome>& runs,
                    ordered_json& rec) const override {
    Measurement merged;
    for (const Outcome& run : runs) {
      merged.rtt_ns.insert(merged.rtt_ns.end(), run.m.rtt_ns.begin(),
                           run.m.rtt_ns.end());
    }
    report_pingpong(state, job, merged, rec);
    const auto trips =
        job.timed_messages() * static_cast<std::int64_t>(runs.size());
    report_aggregate(state, runs, trips, 0, "round_trips_per_s", true, rec);
  }

  // The timed loop, for PairedScenario.
  template <class Loop>
  static void loop(Loop& state, Transport& t, const Job& job, Measurement& m) {
    job.verify ? round_trip::pingpong_loop<true, false>(state, t, job, m)
               : round_trip::pingpong_loop<false, false>(state, t, job, m);
  }
};

}  // namespace

const Scenario& pingpong_scenario() {
  static const Pingpong s;
  return s;
}

}  // namespace ipcb::bench
