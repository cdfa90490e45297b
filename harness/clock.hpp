// The one clock every timed loop uses: CLOCK_MONOTONIC through
// std::chrono::steady_clock (vDSO, no syscall), in int64 nanoseconds.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ipcb::harness {

inline std::int64_t now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct ClockInfo {
  double read_cost_ns = 0;         // median cost of one now_ns() call
  std::int64_t resolution_ns = 0;  // clock_getres(CLOCK_MONOTONIC)
  std::int64_t min_step_ns = 0;    // smallest non-zero step observed
  std::string source;              // kernel clocksource (tsc, hpet, ...)
};

// Measures the clock's own cost and granularity (takes a few milliseconds).
ClockInfo measure_clock();

}  // namespace ipcb::harness
