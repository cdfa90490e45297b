// The run's configuration warnings, as data: what the figures of this run
// will include or lack, and what to do about it. A pure function of the
// options and a few facts gathered before the run, so that every warning
// is unit-tested; the reporter prints them and the results file keeps them.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
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

// After a benchmark of --capacity=equal: the warning when its transport's
// applied capacity (the record's "capacity") is below the asked, naming
// what stopped it and what to raise, or when the notion does not apply to
// it; nullopt otherwise. Names the transport and the message size, not the
// benchmark, so that the reporter says it once for all repetitions,
// scenarios and placements of them.
std::optional<std::string> capacity_warning(const nlohmann::ordered_json& rec);

// After a rate benchmark offered an absolute rate above what its case's
// calibration stream run carried (the record's rate.relative.above_capacity):
// the warning naming the benchmark, the offered rate and the capacity;
// nullopt otherwise. Warned, never refused: the user asked for that load.
std::optional<std::string> rate_warning(const nlohmann::ordered_json& rec);

}  // namespace ipcb::bench
