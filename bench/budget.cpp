#include "bench/budget.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace ipcb::bench {

namespace {

const char kBudgetForm[] =
    "give a duration such as 90s, 10m, 1h or 1m30s (a plain number is "
    "seconds)";

// Seconds per run of the plan that do not depend on min_time, and how
// many runs scale with it.
struct Split {
  double fixed_s = 0;
  double scaled_runs = 0;
  std::size_t benchmarks = 0, skipped = 0;
};

Split split_plan(const std::vector<PlannedBenchmark>& plan,
                 const PlanTiming& t) {
  Split s;
  const double reps = t.repetitions;
  for (const PlannedBenchmark& b : plan) {
    if (b.skipped) {
      ++s.skipped;
      continue;
    }
    ++s.benchmarks;
    s.fixed_s += reps * (kMinTimeFactor * t.min_warmup_s +
                         (b.has_peer ? kCaseOverheadS + b.extra_s : 0));
    s.scaled_runs += reps;
  }
  return s;
}

}  // namespace

double parse_budget(const std::string& text) {
  double total = 0;
  std::size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    double v = 0;
    const char* begin = text.data() + i;
    if (!std::isdigit(static_cast<unsigned char>(*begin)) && *begin != '.')
      throw std::invalid_argument("--budget: '" + text + "' is not accepted; " +
                                  kBudgetForm);
    auto [ptr, ec] = std::from_chars(begin, text.data() + text.size(), v,
                                     std::chars_format::fixed);
    if (ec != std::errc() || !std::isfinite(v))
      throw std::invalid_argument("--budget: '" + text + "' is not accepted; " +
                                  kBudgetForm);
    i = static_cast<std::size_t>(ptr - text.data());
    double unit = 1;
    if (i < text.size()) {
      const char u = text[i++];
      if (u == 'h')
        unit = 3600;
      else if (u == 'm')
        unit = 60;
      else if (u != 's')
        throw std::invalid_argument("--budget: '" + text +
                                    "' is not accepted; " + kBudgetForm);
    } else if (any) {
      throw std::invalid_argument("--budget: '" + text +
                                  "' is not accepted (a number without a "
                                  "unit after another); " +
                                  kBudgetForm);
    }
    total += v * unit;
    any = true;
  }
  if (!any || !(total > 0) || total > 7 * 86400)
    throw std::invalid_argument("--budget: '" + text +
                                "' is not accepted (more than 0, at most a "
                                "week); " +
                                kBudgetForm);
  return total;
}

std::string budget_text(double seconds) {
  const long s = static_cast<long>(std::ceil(seconds - 1e-9));
  std::string text;
  if (s >= 3600) text += std::to_string(s / 3600) + "h";
  if (s % 3600 >= 60) text += std::to_string(s % 3600 / 60) + "m";
  if (s % 60 != 0 || s == 0) text += std::to_string(s % 60) + "s";
  return text;
}

double budget_needed(const std::vector<PlannedBenchmark>& plan,
                     const PlanTiming& t, double min_time_s) {
  const Split s = split_plan(plan, t);
  return std::ceil(s.fixed_s + s.scaled_runs * kMinTimeFactor * min_time_s -
                   1e-9);
}

BudgetPlan plan_without_budget(const std::vector<PlannedBenchmark>& plan,
                               const PlanTiming& t) {
  const Split s = split_plan(plan, t);
  BudgetPlan p;
  p.min_time_s = t.min_time_s;
  p.planned_s = s.fixed_s + s.scaled_runs * kMinTimeFactor * t.min_time_s;
  p.benchmarks = s.benchmarks;
  p.skipped = s.skipped;
  return p;
}

BudgetPlan plan_budget(const std::vector<PlannedBenchmark>& plan,
                       const PlanTiming& t, double budget_s) {
  const Split s = split_plan(plan, t);
  BudgetPlan p;
  p.budget_s = budget_s;
  p.benchmarks = s.benchmarks;
  p.skipped = s.skipped;
  if (s.scaled_runs == 0) {  // nothing runs: any minimum time will do
    p.min_time_s = t.min_time_s;
    return p;
  }
  const double min_time =
      (budget_s - s.fixed_s) / (s.scaled_runs * kMinTimeFactor);
  if (!(min_time >= kMinBudgetMinTimeS * (1 - 1e-9))) {  // rounding errors
    const double needed = budget_needed(plan, t, kMinBudgetMinTimeS);
    char floor[32];
    std::snprintf(floor, sizeof floor, "%g", kMinBudgetMinTimeS);
    char overhead[96];
    std::snprintf(overhead, sizeof overhead,
                  "%g s of set-up (%g s more per fan-in or fan-out peer "
                  "beyond the first)",
                  kCaseOverheadS, kExtraPeerS);
    throw BudgetTooSmall(
        "--budget=" + budget_text(budget_s) + " is too small for " +
        std::to_string(s.benchmarks) + " benchmarks (" +
        std::to_string(static_cast<long>(s.scaled_runs)) +
        " runs): each needs at least " + floor + " s of measurement plus " +
        overhead + "; give --budget=" + budget_text(needed) +
        " or more, or fewer benchmarks (--transports, --scenarios, --sizes)");
  }
  // Three significant digits, rounded down: the plan stays within budget.
  const double scale = std::pow(10.0, 2 - std::floor(std::log10(min_time)));
  p.min_time_s = std::clamp(std::floor(min_time * scale) / scale,
                            kMinBudgetMinTimeS, kMaxBudgetMinTimeS);
  p.planned_s = s.fixed_s + s.scaled_runs * kMinTimeFactor * p.min_time_s;
  return p;
}

std::string plan_text(const BudgetPlan& p) {
  std::string text = "plan: " + std::to_string(p.benchmarks) + " benchmarks";
  if (p.skipped > 0)
    text += " (" + std::to_string(p.skipped) + " more skipped here)";
  text += ", about " + format_duration(p.planned_s);
  char min_time[32];
  std::snprintf(min_time, sizeof min_time, "%g", p.min_time_s);
  if (p.budget_s > 0)
    text += " (--budget=" + budget_text(p.budget_s) +
            ": --benchmark_min_time=" + min_time + " each)";
  else
    text += " (--benchmark_min_time=" + std::string(min_time) + " each)";
  return text;
}

}  // namespace ipcb::bench
