#include "harness/clock.hpp"

#include <time.h>

#include <algorithm>
#include <vector>

#include "sys/fd.hpp"

namespace ipcb::harness {

ClockInfo measure_clock() {
  ClockInfo info;
  timespec res{};
  ::clock_getres(CLOCK_MONOTONIC, &res);
  info.resolution_ns = res.tv_sec * 1000000000LL + res.tv_nsec;
  info.source = sys::read_text_file(
      "/sys/devices/system/clocksource/clocksource0/current_clocksource");

  // Cost: time batches of back-to-back reads; keep the median batch.
  constexpr int kBatch = 1000;
  std::vector<double> per_read;
  for (int b = 0; b < 51; ++b) {
    std::int64_t start = now_ns();
    std::int64_t sink = 0;
    for (int i = 0; i < kBatch; ++i) sink += now_ns();
    std::int64_t end = now_ns();
    asm volatile("" : : "r"(sink));
    per_read.push_back(static_cast<double>(end - start) / kBatch);
  }
  std::nth_element(per_read.begin(), per_read.begin() + 25, per_read.end());
  info.read_cost_ns = per_read[25];

  std::int64_t min_step = INT64_MAX;
  for (int i = 0; i < 10000; ++i) {
    std::int64_t a = now_ns(), b = now_ns();
    while (b == a) b = now_ns();
    min_step = std::min(min_step, b - a);
  }
  info.min_step_ns = min_step;
  return info;
}

}  // namespace ipcb::harness
