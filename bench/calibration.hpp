// The rate scenario's loads relative to capacity (--rate=10%,50%,90%): a
// short stream run of the same transport, wait, size, placement and
// capacity, before the first rate benchmark of that case, measures what
// the transport carries; a percentage of it is the offered rate. Run once
// per case (memoised by the stream benchmark's name, so the 10%, 50% and
// 90% benchmarks share one figure), for absolute rates too, so that a rate
// above capacity is recorded and warned about.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/cases.hpp"
#include "bench/plan.hpp"

namespace ipcb::bench {

// What the calibration measured: the stream figure, or why there is none.
struct StreamCapacity {
  double msgs_per_s = 0;
  std::int64_t messages = 0;    // in the run the figure comes from
  std::int64_t elapsed_ns = 0;  // its timed part
  std::string source;           // how it was measured, for the record
  std::string error;            // empty, or the failure's root cause
};

// The timed part a calibration run aims at; shorter runs are repeated
// with more messages (at most kCalibrationRuns runs).
inline constexpr std::int64_t kCalibrationNs = 100'000'000;
inline constexpr int kCalibrationRuns = 4;

// The stream capacity of rate case `cs` (its stream_name), measured on the
// first call and remembered for the others. Never throws.
StreamCapacity stream_capacity(const Case& cs, const RunSettings& settings);

// `percent` of `stream_msgs_per_s`, messages per second: 50 % of 200 000
// is 100 000.
double offered_rate(double percent, double stream_msgs_per_s);

// The record's rate.relative: how the offered rate relates to the measured
// capacity. `asked_percent` 0: an absolute rate (then "percent" is the
// offered rate's share of the capacity, and "above_capacity" is set when
// it exceeds it).
nlohmann::ordered_json relative_json(double asked_percent, double offered_per_s,
                                     const StreamCapacity& c);

}  // namespace ipcb::bench
