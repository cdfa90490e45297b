// The run's configuration warnings, as data: what the figures of this run
// will include or lack, and what to do about it. A pure function of the
// options and a few facts gathered before the run, so that every warning
// is unit-tested; the reporter prints them and the results file keeps them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "bench/options.hpp"
#include "harness/topology.hpp"

namespace ipcb::bench {

struct RunFacts {
  std::vector<std::string> environment;  // harness::environment_warnings
  std::size_t stale_removed = 0;  // objects of dead runs removed at start
  std::size_t stale_refused = 0;  // entries refused as not safe to trust
  harness::Topology topology;     // the machine's
  std::vector<int> allowed;       // CPUs the run may use
};

// In order: the environment's, the placement's note, spin waits sharing a
// CPU, oversubscription by --pairs (from the CPUs harness::assign_pairs
// gives each placement: only when some CPU really serves two pairs), sizes
// a kernel limit fragments, each selected scenario's own (fan-in
// oversubscription, from harness::assign_fanin), then what the clean-up
// before the run removed and refused.
std::vector<std::string> run_warnings(const Options& opt,
                                      const RunFacts& facts);

}  // namespace ipcb::bench
