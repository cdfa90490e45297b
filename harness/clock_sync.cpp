#include "harness/clock_sync.hpp"

#include <cstdlib>
#include <stdexcept>

namespace ipcb::harness {

ClockEstimate estimate_clock(const std::vector<ClockSample>& samples) {
  if (samples.empty())
    throw std::invalid_argument("clock estimate: no exchange");
  const ClockSample* best = nullptr;
  std::int64_t best_delay = 0;
  for (const ClockSample& s : samples) {
    if (s.t3 < s.t0 || s.t2 < s.t1)
      throw std::invalid_argument(
          "clock estimate: an exchange ends before it starts");
    const std::int64_t delay = (s.t3 - s.t0) - (s.t2 - s.t1);
    if (best == nullptr || delay < best_delay) {
      best = &s;
      best_delay = delay;
    }
  }
  ClockEstimate e;
  // The sum of two differences, halved: floor division keeps it exact for
  // the odd case too (within 0.5 ns).
  const std::int64_t twice = (best->t1 - best->t0) + (best->t2 - best->t3);
  e.offset_ns = twice >= 0 ? twice / 2 : -((-twice + 1) / 2);
  e.delay_ns = std::max<std::int64_t>(0, best_delay);
  e.uncertainty_ns = (e.delay_ns + 1) / 2;
  e.samples = static_cast<int>(samples.size());
  return e;
}

std::int64_t ClockWindow::offset_ns() const {
  const std::int64_t sum = before.offset_ns + after.offset_ns;
  return sum >= 0 ? sum / 2 : -((-sum + 1) / 2);
}

std::int64_t ClockWindow::uncertainty_ns() const {
  const std::int64_t change = std::llabs(after.offset_ns - before.offset_ns);
  return std::max(before.uncertainty_ns, after.uncertainty_ns) +
         (change + 1) / 2;
}

nlohmann::json ClockWindow::to_json() const {
  auto one = [](const ClockEstimate& e) {
    return nlohmann::json{{"offset_ns", e.offset_ns},
                          {"delay_ns", e.delay_ns},
                          {"uncertainty_ns", e.uncertainty_ns},
                          {"exchanges", e.samples}};
  };
  return {{"method",
           "NTP-style exchanges on the control connection before and after "
           "the benchmark; the smallest-delay exchange of each; offset = "
           "server clock - driver clock (CLOCK_MONOTONIC)"},
          {"before", one(before)},
          {"after", one(after)},
          {"offset_ns", offset_ns()},
          {"uncertainty_ns", uncertainty_ns()}};
}

}  // namespace ipcb::harness
