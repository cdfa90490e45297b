// The arithmetic of the progress line: how long each planned benchmark run
// should take, which ones Google Benchmark's filter keeps, the ETA from the
// plan corrected by what the runs done so far took, and the text of the
// line. Pure functions, no clock and no I/O: bench/status_line.hpp draws
// the line.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ipcb::bench {

// Google Benchmark's time settings, as the passthrough flags give them.
struct PlanTiming {
  double min_time_s = 0.5;  // --benchmark_min_time (Google Benchmark's 0.5)
  double min_warmup_s = 0;  // --benchmark_min_warmup_time
  int repetitions = 1;      // --benchmark_repetitions
};

// What one run costs besides its minimum time, measured on this project's
// 2-CPU machine (docs/flags.md#--budget) by timing one set of benchmarks
// at two --benchmark_min_time values and fitting wall = overhead + factor
// x min_time per run. kCaseOverheadS: each measured case starts a peer
// (fork + exec, connect, warm-up) for each of Google Benchmark's trial
// invocations. kMinTimeFactor: the final invocation runs past min_time
// (Google Benchmark aims at 1.4x) and the trials before it add their own
// time. The times the runs take correct the ETA (eta_seconds).
// Measured 2026-12-04 (load average about 3): the default suite, 412
// benchmarks run at min_time 0.2, took 507 s (1.23 s each) and --quick,
// 52 at 0.05, 36 s (0.69 s each): 0.5 s + 3.6 x min_time per benchmark.
// (Under a load average of 11-13 the same fit gave 2.8 s + 9.2 x.)
inline constexpr double kCaseOverheadS = 0.5;
inline constexpr double kMinTimeFactor = 3.6;
// Fan-in and fan-out start a peer per producer or consumer in every trial
// invocation, and on a small machine the extra ones share CPUs:
// kExtraPeerS per peer beyond the first. A rate case at a percentage
// first measures the stream capacity (one short stream run per transport
// and size, shared by its percentages): kRateCapacityS per rate case.
// Fitted 2026-12-05 on the default suite (742 benchmarks at min_time 0.1,
// 16m12s): fan-out took 3.67 s per benchmark, fan-in 2.32 s, rate 1.30 s,
// against 0.8-1.0 s for the other scenarios.
inline constexpr double kExtraPeerS = 2.0;
inline constexpr double kRateCapacityS = 0.25;

// One benchmark of the plan: its name as Google Benchmark shows it
// ("pingpong/pipe/64"), the name its filter is matched against (with
// "/manual_time" or "/real_time"), and the seconds one run (one
// repetition) is planned to take.
struct PlannedBenchmark {
  std::string name;
  std::string filter_name;
  double run_s = 0;
  bool skipped = false;  // cannot run here: ends at once
  bool has_peer = true;  // false: the memcpy baseline
  double extra_s = 0;    // fixed seconds beyond kCaseOverheadS (extra_seconds)
};

// The planned seconds of one run: a skipped case ends at once (0); a
// measured case takes kMinTimeFactor x (min_time + min_warmup) plus
// kCaseOverheadS plus `extra_s`; the memcpy baseline (no peer) no overhead.
double planned_run_seconds(const PlanTiming& t, bool skipped, bool has_peer,
                           double extra_s = 0);

// A case's fixed seconds beyond kCaseOverheadS: kExtraPeerS for each of
// its `peers` beyond the first, and kRateCapacityS when it measures the
// stream capacity first.
double extra_seconds(int peers, bool measures_capacity);

// The benchmarks Google Benchmark runs under --benchmark_filter=`filter`
// (as 1.7.1 reads it: empty or "all" is everything, a leading '-' leaves
// out what the rest matches, POSIX extended regex searched in the
// filter_name). Unknown (an invalid regex): all of them.
std::vector<PlannedBenchmark> filter_plan(std::vector<PlannedBenchmark> plan,
                                          const std::string& filter);

// What the ETA is computed from. A "run" is one repetition of one
// benchmark.
struct EtaInput {
  double planned_total_s = 0;  // every run of the plan
  double planned_done_s = 0;   // the runs done, as planned
  double measured_done_s = 0;  // the wall time those runs took
  int timed_runs_done = 0;     // runs done that had planned time (> 0)
  double current_s = 0;        // wall time since the last run was done
};

// The plan weighs as much as this many measured runs: with n runs done
// the correction factor is (kPlanWeight * 1 + n * measured/planned) /
// (kPlanWeight + n).
inline constexpr double kPlanWeight = 3;

// Seconds left: the planned seconds left times the correction factor,
// less the time the running run has already taken; never negative.
double eta_seconds(const EtaInput& in);

// "42s", "3m12s", "1h05m" (rounded down to the second).
std::string format_duration(double seconds);

// "[ 412/1672] stream/tcp/65536 | 3m12s elapsed | ETA 7m40s": `done`
// right-aligned to the width of `total`.
std::string status_text(std::size_t done, std::size_t total,
                        const std::string& current, double elapsed_s,
                        double eta_s);

}  // namespace ipcb::bench
