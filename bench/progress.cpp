#include "bench/progress.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <regex>

namespace ipcb::bench {

double planned_run_seconds(const PlanTiming& t, bool skipped, bool has_peer,
                           double extra_s) {
  if (skipped) return 0;
  return kMinTimeFactor * (t.min_time_s + t.min_warmup_s) +
         (has_peer ? kCaseOverheadS + extra_s : 0);
}

double extra_seconds(int peers, bool measures_capacity) {
  return kExtraPeerS * std::max(peers - 1, 0) +
         (measures_capacity ? kRateCapacityS : 0);
}

std::vector<PlannedBenchmark> filter_plan(std::vector<PlannedBenchmark> plan,
                                          const std::string& filter) {
  std::string spec = filter.empty() || filter == "all" ? "." : filter;
  const bool negative = spec[0] == '-';
  if (negative) spec.erase(0, 1);
  std::regex re;
  try {
    re = std::regex(spec, std::regex_constants::extended);
  } catch (const std::regex_error&) {
    return plan;  // options.cpp refuses such a filter before this
  }
  std::erase_if(plan, [&](const PlannedBenchmark& b) {
    return std::regex_search(b.filter_name, re) == negative;
  });
  return plan;
}

double eta_seconds(const EtaInput& in) {
  double factor = 1;
  if (in.timed_runs_done > 0 && in.planned_done_s > 0) {
    const double n = in.timed_runs_done;
    const double measured = in.measured_done_s / in.planned_done_s;
    factor = (kPlanWeight + n * measured) / (kPlanWeight + n);
  }
  const double left = std::max(0.0, in.planned_total_s - in.planned_done_s);
  return std::max(0.0, left * factor - in.current_s);
}

std::string format_duration(double seconds) {
  const long s = seconds > 0 ? static_cast<long>(std::floor(seconds)) : 0;
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%lds", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, s % 3600 / 60);
  return buf;
}

std::string status_text(std::size_t done, std::size_t total,
                        const std::string& current, double elapsed_s,
                        double eta_s) {
  const std::string n = std::to_string(total);
  std::string d = std::to_string(done);
  if (d.size() < n.size()) d.insert(0, n.size() - d.size(), ' ');
  return "[" + d + "/" + n + "] " + current + " | " +
         format_duration(elapsed_s) + " elapsed | ETA " +
         format_duration(eta_s);
}

}  // namespace ipcb::bench
