// Statistics over raw int64 nanosecond samples: pure functions, exact.
//
// Percentiles use the nearest-rank definition: the p-th percentile is the
// smallest sample such that at least p % of the samples are <= it
// (rank = ceil(p/100 * n), p0 = minimum, p100 = maximum). Every reported
// percentile is therefore a value that was actually observed.
//
// A tail percentile needs enough samples: p (above 50) is recorded only
// from at least 10 / (1 - p/100) samples, so that at least ten samples lie
// beyond it (p90: 100, p99: 1 000, p99.9: 10 000). With fewer it is missing,
// never the maximum under another name.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace ipcb::harness {

struct Summary {
  std::int64_t count = 0;
  double mean = 0;
  double stddev = 0;  // sample standard deviation (n - 1)
  std::int64_t min = 0;
  std::int64_t max = 0;
};

// p in [0, 100]; `sorted` ascending and non-empty.
std::int64_t percentile_sorted(std::span<const std::int64_t> sorted, double p);

// The percentile points recorded for every benchmark: p0..p99 in steps of 1,
// then 99.5, 99.9, 99.95, 99.99, 99.999, 100 — fine enough to draw a CDF.
const std::vector<double>& spectrum_points();

// The samples percentile p needs (the rule above); 1 for p <= 50 and p100.
std::int64_t samples_needed(double p);

struct Distribution {
  Summary summary;
  std::vector<std::pair<double, std::int64_t>> percentiles;  // (p, value)
  // Spectrum points left out for want of samples (the rule above).
  std::vector<double> missing;
  // The value at a recorded point p; throws when p is not recorded.
  std::int64_t at(double p) const;
  // The value at p, or nothing when p was not recorded.
  std::optional<std::int64_t> find(double p) const;
};

// Sorts `samples` in place and describes them: every spectrum point that
// has enough samples. Empty input: count 0.
Distribution describe(std::vector<std::int64_t>& samples);

// ---- Fairness among senders that compete for one receiver (fan-in).

// Each count's share of their sum, in order; all 0 when the sum is 0.
std::vector<double> shares_of(std::span<const std::int64_t> counts);

struct ShareRange {
  double min = 0, max = 0;
};
// The smallest and largest share; {0, 0} for none.
ShareRange share_range(std::span<const double> shares);

// Jain's fairness index of x: (sum x)^2 / (n * sum x^2), 1 when all x are
// equal, 1/n when one has everything; 0 for no x or all x zero.
double jain_index(std::span<const double> x);

// ---- Concurrent timed phases (--pairs).

// Intervals [start, end) on one clock: the span from the earliest start to
// the latest end, and how long all of them ran at once (the intersection,
// max(0, earliest end - latest start)).
// overlap = all_running / span: 1 when all ran the whole span together,
// 0 when at no instant did all run at once (also for an empty span).
struct PhaseOverlap {
  std::int64_t span_ns = 0;
  std::int64_t all_running_ns = 0;
  double overlap = 0;
};
// starts and ends: one per interval, the same count (>= 1), end >= start.
PhaseOverlap phase_overlap(std::span<const std::int64_t> starts,
                           std::span<const std::int64_t> ends);

// `count` events over `ns` nanoseconds, per second; 0 when ns <= 0.
double per_second(std::int64_t count, std::int64_t ns);

}  // namespace ipcb::harness
