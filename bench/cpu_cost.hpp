// CpuCost: CPU time and context switches of one side, as getrusage deltas
// (of the whole process, or of the calling thread only).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

namespace ipcb::bench {

struct CpuCost {
  std::int64_t user_ns = 0, system_ns = 0;
  std::int64_t voluntary_switches = 0, involuntary_switches = 0;
  static CpuCost now(bool whole_process);
  CpuCost operator-(const CpuCost& o) const;
  CpuCost& operator+=(const CpuCost& o);
  nlohmann::json to_json() const;
  static CpuCost from_json(const nlohmann::json& j);
};

}  // namespace ipcb::bench
