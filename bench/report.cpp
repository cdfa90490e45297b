#include "bench/report.hpp"

#include <cstdio>

namespace ipcb::bench {

nlohmann::ordered_json latency_json(const harness::Distribution& d) {
  nlohmann::ordered_json p = nlohmann::ordered_json::object();
  for (const auto& [q, v] : d.percentiles) {
    char key[16];
    std::snprintf(key, sizeof key, "%g", q);
    p[key] = v;
  }
  return {{"unit", "ns"},
          {"count", d.summary.count},
          {"mean_ns", d.summary.mean},
          {"stddev_ns", d.summary.stddev},
          {"min_ns", d.summary.min},
          {"max_ns", d.summary.max},
          {"percentiles_ns", p}};
}

}  // namespace ipcb::bench
