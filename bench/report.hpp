// Helpers that turn measurements into Google Benchmark counters and results
// records, shared by the scenarios' reports.
#pragma once

#include <nlohmann/json.hpp>

#include "harness/stats.hpp"

namespace ipcb::bench {

// A latency distribution as recorded in the results file (count, mean,
// stddev, min, max, percentiles_ns keyed "0".."100").
nlohmann::ordered_json latency_json(const harness::Distribution& d);

}  // namespace ipcb::bench
