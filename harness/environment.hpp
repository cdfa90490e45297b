// What the results depend on beyond Google Benchmark's own context: kernel,
// CPU, affinity, build, clock, IPC-relevant kernel limits, plus warnings
// that say what to do about a setting that makes figures less trustworthy.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/clock.hpp"

namespace ipcb::harness {

struct BuildInfo {
  std::string compiler;
  std::string cxx_flags;
  std::string build_type;
  std::string source_dir;  // for the git commit
};

nlohmann::ordered_json capture_environment(const BuildInfo& build,
                                           const ClockInfo& clock);

// Warnings about this machine's state, each saying what to do.
std::vector<std::string> environment_warnings(
    const nlohmann::ordered_json& env);

}  // namespace ipcb::harness
