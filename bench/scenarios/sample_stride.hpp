// The sampling stride of the scenarios that time only every stride-th
// message on arrival (fanin, fanout): calibrated per case from its previous
// invocation so that the receiver's clock reads (one per sampled message)
// cost at most kClockShare of its time per message; kFirstStride before
// any invocation.
#pragma once

#include <cstdint>
#include <string>

#include "bench/case_memo.hpp"
#include "harness/clock.hpp"

namespace ipcb::bench {

class SampleStride {
 public:
  static constexpr double kClockShare = 0.02;
  static constexpr std::int64_t kFirstStride = 16;
  static constexpr std::int64_t kMaxStride = 1024;

  std::int64_t get(const std::string& name) const {
    return memo_.get(name, kFirstStride);
  }
  // After an invocation of `name` that received `messages` in elapsed_ns.
  void calibrate(const std::string& name, std::int64_t elapsed_ns,
                 std::int64_t messages) {
    static const double read_cost_ns = harness::measure_clock().read_cost_ns;
    if (messages <= 0 || elapsed_ns <= 0) return;
    const double per_msg =
        static_cast<double>(elapsed_ns) / static_cast<double>(messages);
    memo_.set(name, from(read_cost_ns, per_msg));
  }
  // The smallest power of two k with read_cost / (k x ns_per_msg) <= share.
  static std::int64_t from(double read_cost_ns, double ns_per_msg) {
    std::int64_t k = 1;
    while (k < kMaxStride &&
           read_cost_ns > kClockShare * static_cast<double>(k) * ns_per_msg)
      k *= 2;
    return k;
  }

 private:
  CaseMemo memo_;
};

}  // namespace ipcb::bench
