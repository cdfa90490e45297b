// Statistics are exact on hand-computed inputs.
#include "harness/stats.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace ipcb::harness {
namespace {

TEST(Percentile, NearestRankOnOneToHundred) {
  std::vector<std::int64_t> v(100);
  std::iota(v.begin(), v.end(), 1);
  EXPECT_EQ(percentile_sorted(v, 0), 1);
  EXPECT_EQ(percentile_sorted(v, 1), 1);
  EXPECT_EQ(percentile_sorted(v, 50), 50);
  EXPECT_EQ(percentile_sorted(v, 50.5), 51);
  EXPECT_EQ(percentile_sorted(v, 99), 99);
  EXPECT_EQ(percentile_sorted(v, 99.9), 100);
  EXPECT_EQ(percentile_sorted(v, 100), 100);
}

TEST(Percentile, FourValues) {
  std::vector<std::int64_t> v = {10, 20, 30, 40};
  EXPECT_EQ(percentile_sorted(v, 25), 10);
  EXPECT_EQ(percentile_sorted(v, 26), 20);
  EXPECT_EQ(percentile_sorted(v, 50), 20);
  EXPECT_EQ(percentile_sorted(v, 75), 30);
  EXPECT_EQ(percentile_sorted(v, 76), 40);
}

TEST(Percentile, NoRoundingUpAtExactRanks) {
  std::vector<std::int64_t> v(1000);
  std::iota(v.begin(), v.end(), 1);
  EXPECT_EQ(percentile_sorted(v, 99.9), 999);  // 99.9% of 1000 is rank 999
  EXPECT_EQ(percentile_sorted(v, 99.99), 1000);
  std::vector<std::int64_t> w(100000);
  std::iota(w.begin(), w.end(), 1);
  EXPECT_EQ(percentile_sorted(w, 99.99), 99990);
  EXPECT_EQ(percentile_sorted(w, 99.999), 99999);
}

TEST(Percentile, RejectsEmptyAndOutOfRange) {
  std::vector<std::int64_t> empty;
  EXPECT_THROW(percentile_sorted(empty, 50), std::invalid_argument);
  std::vector<std::int64_t> v = {1};
  EXPECT_THROW(percentile_sorted(v, -1), std::invalid_argument);
  EXPECT_THROW(percentile_sorted(v, 100.5), std::invalid_argument);
}

TEST(Describe, SummaryIsExact) {
  std::vector<std::int64_t> v = {9, 2, 4, 4, 5, 4, 7, 5};
  Distribution d = describe(v);
  EXPECT_EQ(d.summary.count, 8);
  EXPECT_DOUBLE_EQ(d.summary.mean, 5.0);
  EXPECT_DOUBLE_EQ(d.summary.stddev, std::sqrt(32.0 / 7.0));
  EXPECT_EQ(d.summary.min, 2);
  EXPECT_EQ(d.summary.max, 9);
  EXPECT_EQ(d.at(0), 2);
  EXPECT_EQ(d.at(50), 4);
  EXPECT_EQ(d.at(100), 9);
  EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
}

TEST(Describe, SpectrumCoversCdfPointsAndIsMonotone) {
  std::vector<std::int64_t> v(10000);
  std::iota(v.begin(), v.end(), 0);
  std::shuffle(v.begin(), v.end(), std::mt19937(42));
  Distribution d = describe(v);
  // 10 000 samples: everything up to p99.9 and the maximum; p99.95 needs
  // 20 000, p99.99 100 000, p99.999 a million.
  ASSERT_EQ(d.percentiles.size(), spectrum_points().size() - 3);
  EXPECT_EQ(d.missing, (std::vector<double>{99.95, 99.99, 99.999}));
  for (double p :
       {0.0, 1.0, 5.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 100.0}) {
    EXPECT_NO_THROW(d.at(p)) << p;
  }
  for (std::size_t i = 1; i < d.percentiles.size(); ++i) {
    EXPECT_LE(d.percentiles[i - 1].second, d.percentiles[i].second);
  }
  EXPECT_EQ(d.at(25), 2499);
  EXPECT_EQ(d.at(99.9), 9989);
  EXPECT_FALSE(d.find(99.99).has_value());
}

TEST(Describe, TailPercentilesNeedTenSamplesBeyondThem) {
  EXPECT_EQ(samples_needed(50), 1);
  EXPECT_EQ(samples_needed(90), 100);
  EXPECT_EQ(samples_needed(99), 1000);
  EXPECT_EQ(samples_needed(99.9), 10000);
  EXPECT_EQ(samples_needed(99.99), 100000);
  EXPECT_EQ(samples_needed(100), 1);
  // 999 samples: p99 is missing, not the maximum under another name.
  std::vector<std::int64_t> v(999);
  std::iota(v.begin(), v.end(), 1);
  Distribution d = describe(v);
  EXPECT_EQ(d.at(98), 980);
  EXPECT_FALSE(d.find(99).has_value());
  EXPECT_FALSE(d.find(99.9).has_value());
  EXPECT_THROW(d.at(99), std::invalid_argument);
  EXPECT_EQ(d.at(100), 999);
  v.push_back(1000);
  EXPECT_EQ(describe(v).at(99), 990);
}

TEST(Describe, EmptyAndSingle) {
  std::vector<std::int64_t> none;
  EXPECT_EQ(describe(none).summary.count, 0);
  std::vector<std::int64_t> one = {42};
  Distribution d = describe(one);
  EXPECT_EQ(d.at(0), 42);
  EXPECT_EQ(d.at(50), 42);
  EXPECT_EQ(d.at(100), 42);
  EXPECT_FALSE(d.find(99.999).has_value());
  EXPECT_DOUBLE_EQ(d.summary.stddev, 0.0);
}

TEST(Fairness, SharesOfKnownCounts) {
  const std::vector<std::int64_t> counts = {1, 1, 2};
  EXPECT_EQ(shares_of(counts), (std::vector<double>{0.25, 0.25, 0.5}));
  const std::vector<std::int64_t> none = {0, 0};
  EXPECT_EQ(shares_of(none), (std::vector<double>{0, 0}));
  EXPECT_TRUE(shares_of({}).empty());
}

TEST(Fairness, ShareRangeIsTheSmallestAndLargestShare) {
  const std::vector<double> s = {0.25, 0.125, 0.625};
  EXPECT_EQ(share_range(s).min, 0.125);
  EXPECT_EQ(share_range(s).max, 0.625);
  EXPECT_EQ(share_range({}).min, 0);
  EXPECT_EQ(share_range({}).max, 0);
}

TEST(Fairness, JainIndexOnKnownInputs) {
  const std::vector<double> equal = {3, 3, 3, 3};
  EXPECT_EQ(jain_index(equal), 1.0);
  const std::vector<double> one_has_all = {5, 0, 0, 0};
  EXPECT_EQ(jain_index(one_has_all), 0.25);
  const std::vector<double> steps = {1, 2, 3};  // 36 / (3 * 14)
  EXPECT_EQ(jain_index(steps), 36.0 / 42.0);
  const std::vector<double> zeros = {0, 0};
  EXPECT_EQ(jain_index(zeros), 0);
  EXPECT_EQ(jain_index({}), 0);
}

TEST(Fairness, PerSecond) {
  EXPECT_EQ(per_second(500, 250000000), 500 / (250000000 * 1e-9));
  EXPECT_DOUBLE_EQ(per_second(500, 250000000), 2000.0);
  EXPECT_EQ(per_second(7, 0), 0);
  EXPECT_EQ(per_second(7, -1), 0);
}

TEST(PhaseOverlap, SpanAndTimeAllRanTogether) {
  using V = std::vector<std::int64_t>;
  // [10, 30) and [20, 40): span 30, all running 10.
  PhaseOverlap o = phase_overlap(V{10, 20}, V{30, 40});
  EXPECT_EQ(o.span_ns, 30);
  EXPECT_EQ(o.all_running_ns, 10);
  EXPECT_DOUBLE_EQ(o.overlap, 10.0 / 30.0);
  // One after the other: never all at once.
  o = phase_overlap(V{0, 50}, V{50, 90});
  EXPECT_EQ(o.span_ns, 90);
  EXPECT_EQ(o.all_running_ns, 0);
  EXPECT_EQ(o.overlap, 0.0);
  // The same interval three times: fully together.
  o = phase_overlap(V{5, 5, 5}, V{9, 9, 9});
  EXPECT_EQ(o.overlap, 1.0);
  // A third phase that meets neither of two overlapping ones.
  o = phase_overlap(V{0, 10, 100}, V{20, 30, 110});
  EXPECT_EQ(o.span_ns, 110);
  EXPECT_EQ(o.all_running_ns, 0);
  // Nothing, or mismatched input: zeros.
  o = phase_overlap(V{}, V{});
  EXPECT_EQ(o.span_ns, 0);
  EXPECT_EQ(o.overlap, 0.0);
  EXPECT_EQ(phase_overlap(V{1}, V{}).span_ns, 0);
}

}  // namespace
}  // namespace ipcb::harness
