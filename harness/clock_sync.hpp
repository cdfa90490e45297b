// Clock offset between two hosts, NTP-style (RFC 5905's on-wire
// calculation), for one-way figures across hosts.
//
// One exchange: the driver sends at t0 (its clock), the server receives at
// t1 and answers at t2 (its clock), the driver receives at t3. Then
//   offset = ((t1 - t0) + (t2 - t3)) / 2   (server clock - driver clock)
//   delay  = (t3 - t0) - (t2 - t1)          (the network's round trip)
// and the true offset lies within offset +- delay / 2 whatever the split
// of the delay between the two directions: delay / 2 is the uncertainty.
// Of several exchanges the one with the smallest delay is kept.
//
// Around a benchmark: one estimate before and one after. The offset used
// is their mean; its uncertainty is the larger half-delay plus half the
// change between them (drift, or a clock step, during the run).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

namespace ipcb::harness {

struct ClockSample {
  std::int64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;
};

struct ClockEstimate {
  std::int64_t offset_ns = 0;
  std::int64_t delay_ns = 0;
  std::int64_t uncertainty_ns = 0;  // delay_ns / 2, rounded up
  int samples = 0;
};

// Throws std::invalid_argument when `samples` is empty or one is not
// causal (t3 < t0 or t2 < t1).
ClockEstimate estimate_clock(const std::vector<ClockSample>& samples);

struct ClockWindow {
  ClockEstimate before, after;
  std::int64_t offset_ns() const;
  std::int64_t uncertainty_ns() const;
  nlohmann::json to_json() const;
};

// One-way figures across hosts are reported only when the offset's
// uncertainty is below this fraction of the figure.
inline constexpr double kOnewayUncertaintyFraction = 0.1;

}  // namespace ipcb::harness
