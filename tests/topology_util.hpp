// Helpers for the tests that build synthetic topologies.
#pragma once

#include <vector>

#include "harness/topology.hpp"

namespace ipcb::harness {

// Every hardware thread's OS index, in the topology's order.
inline std::vector<int> every_cpu(const Topology& t) {
  std::vector<int> out;
  for (const Pu& p : t.pus) out.push_back(p.os);
  return out;
}

}  // namespace ipcb::harness
