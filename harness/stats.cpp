#include "harness/stats.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace ipcb::harness {

std::int64_t percentile_sorted(std::span<const std::int64_t> sorted, double p) {
  if (sorted.empty()) throw std::invalid_argument("percentile of no samples");
  if (p < 0 || p > 100)
    throw std::invalid_argument("percentile outside 0..100");
  const auto n = static_cast<double>(sorted.size());
  // Guard against 99.9 * 1000 / 100 = 999.0000000001 rounding up.
  double rank = std::ceil(p / 100.0 * n - 1e-9);
  auto idx = static_cast<std::size_t>(std::clamp(rank, 1.0, n)) - 1;
  return sorted[idx];
}

const std::vector<double>& spectrum_points() {
  static const std::vector<double> kPoints = [] {
    std::vector<double> v;
    for (int p = 0; p < 100; ++p) v.push_back(p);
    for (double p : {99.5, 99.9, 99.95, 99.99, 99.999, 100.0}) v.push_back(p);
    return v;
  }();
  return kPoints;
}

std::int64_t samples_needed(double p) {
  if (p <= 50 || p >= 100) return 1;
  return std::llround(10.0 / (1.0 - p / 100.0));
}

std::optional<std::int64_t> Distribution::find(double p) const {
  for (const auto& [q, v] : percentiles) {
    if (q == p) return v;
  }
  return std::nullopt;
}

std::int64_t Distribution::at(double p) const {
  if (auto v = find(p)) return *v;
  throw std::invalid_argument("percentile p" + std::to_string(p) +
                              " not recorded (" +
                              std::to_string(summary.count) + " samples)");
}

Distribution describe(std::vector<std::int64_t>& samples) {
  Distribution d;
  if (samples.empty()) return d;
  std::sort(samples.begin(), samples.end());
  Summary& s = d.summary;
  s.count = static_cast<std::int64_t>(samples.size());
  s.min = samples.front();
  s.max = samples.back();
  long double sum = 0;
  for (auto x : samples) sum += x;
  s.mean = static_cast<double>(sum / s.count);
  long double sq = 0;
  for (auto x : samples) sq += (x - sum / s.count) * (x - sum / s.count);
  s.stddev =
      s.count > 1 ? std::sqrt(static_cast<double>(sq / (s.count - 1))) : 0.0;
  for (double p : spectrum_points()) {
    if (s.count >= samples_needed(p)) {
      d.percentiles.emplace_back(p, percentile_sorted(samples, p));
    } else {
      d.missing.push_back(p);
    }
  }
  return d;
}

std::vector<double> shares_of(std::span<const std::int64_t> counts) {
  std::int64_t total = 0;
  for (auto c : counts) total += c;
  std::vector<double> out;
  for (auto c : counts) {
    out.push_back(
        total > 0 ? static_cast<double>(c) / static_cast<double>(total) : 0);
  }
  return out;
}

ShareRange share_range(std::span<const double> shares) {
  if (shares.empty()) return {};
  const auto [lo, hi] = std::minmax_element(shares.begin(), shares.end());
  return {*lo, *hi};
}

double jain_index(std::span<const double> x) {
  double sum = 0, sum_sq = 0;
  for (double v : x) {
    sum += v;
    sum_sq += v * v;
  }
  return sum_sq > 0 ? sum * sum / (static_cast<double>(x.size()) * sum_sq) : 0;
}

double per_second(std::int64_t count, std::int64_t ns) {
  return ns > 0 ? static_cast<double>(count) / (static_cast<double>(ns) * 1e-9)
                : 0;
}

PhaseOverlap phase_overlap(std::span<const std::int64_t> starts,
                           std::span<const std::int64_t> ends) {
  PhaseOverlap o;
  if (starts.empty() || starts.size() != ends.size()) return o;
  const std::int64_t first = *std::min_element(starts.begin(), starts.end());
  const std::int64_t last = *std::max_element(ends.begin(), ends.end());
  const std::int64_t latest_start =
      *std::max_element(starts.begin(), starts.end());
  const std::int64_t earliest_end = *std::min_element(ends.begin(), ends.end());
  o.span_ns = std::max<std::int64_t>(0, last - first);
  o.all_running_ns = std::max<std::int64_t>(0, earliest_end - latest_start);
  if (o.span_ns > 0)
    o.overlap =
        static_cast<double>(o.all_running_ns) / static_cast<double>(o.span_ns);
  return o;
}

}  // namespace ipcb::harness
