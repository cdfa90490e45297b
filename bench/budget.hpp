// --budget=TIME: the one --benchmark_min_time that makes the whole plan
// fit a wall-clock budget, shared fairly (every benchmark gets the same
// minimum time), and the plan as the results file and stderr show it.
// Pure functions, no clock and no I/O.
//
// The model (bench/progress.hpp, planned_run_seconds): a run that is not
// skipped takes kMinTimeFactor x (min_time + min_warmup) plus a fixed
// kCaseOverheadS when it starts a peer; both figures were measured on this
// project's 2-CPU machine (docs/flags.md#--budget).
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/progress.hpp"

namespace ipcb::bench {

// The smallest minimum time a budget may give each benchmark: below it
// Google Benchmark's first trial runs often exceed it, and the
// distributions get too few samples for a p99.
inline constexpr double kMinBudgetMinTimeS = 0.05;
// The largest (Google Benchmark's limit for --benchmark_min_time).
inline constexpr double kMaxBudgetMinTimeS = 86400;

// A budget that cannot give each benchmark kMinBudgetMinTimeS: the
// message names the smallest budget that would.
class BudgetTooSmall : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct BudgetPlan {
  double budget_s = 0;         // as asked; 0 when no budget was given
  double min_time_s = 0;       // --benchmark_min_time each benchmark gets
  double planned_s = 0;        // the whole plan's expected wall time
  std::size_t benchmarks = 0;  // planned benchmarks that run (not skipped)
  std::size_t skipped = 0;     // planned benchmarks skipped here
};

// "90s", "10m", "1h", "1m30s", "2.5m", or plain seconds ("600"); throws
// std::invalid_argument (with what is accepted) otherwise, or for 0.
double parse_budget(const std::string& text);

// The minimum time every benchmark of `plan` (run `t.repetitions` times,
// with `t.min_warmup_s`) gets so that the plan takes `budget_s`; throws
// BudgetTooSmall when that is below kMinBudgetMinTimeS. `t.min_time_s`
// is ignored.
BudgetPlan plan_budget(const std::vector<PlannedBenchmark>& plan,
                       const PlanTiming& t, double budget_s);

// The plan as it stands with `t` (no budget): its expected wall time.
BudgetPlan plan_without_budget(const std::vector<PlannedBenchmark>& plan,
                               const PlanTiming& t);

// The smallest budget that gives each benchmark `min_time_s`, rounded up
// to the whole second.
double budget_needed(const std::vector<PlannedBenchmark>& plan,
                     const PlanTiming& t, double min_time_s);

// "plan: 412 benchmarks (38 more skipped here), about 9m30s
// (--budget=10m: --benchmark_min_time=0.62 each)".
std::string plan_text(const BudgetPlan& p);

// "1m30s", "10m", "45s": whole seconds, rounded up, as --budget reads it.
std::string budget_text(double seconds);

}  // namespace ipcb::bench
