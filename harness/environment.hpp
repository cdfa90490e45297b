// What the results depend on beyond Google Benchmark's own context: kernel,
// CPU, affinity, build, clock, IPC-relevant kernel limits, plus warnings
// that say what to do about a setting that makes figures less trustworthy.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/clock.hpp"
#include "harness/topology.hpp"
#include "harness/tsc.hpp"

namespace ipcb::harness {

struct BuildInfo {
  std::string compiler;
  std::string cxx_flags;
  std::string build_type;
  std::string source_dir;  // for the git commit
};

// "timer": the round-trip timer pingpong and oneway use (harness/tsc.hpp).
nlohmann::ordered_json capture_environment(const BuildInfo& build,
                                           const ClockInfo& clock,
                                           const RoundTripTimer& timer);

// The topology placement chose from, for the environment block: how many
// packages, NUMA nodes, L3 domains, cores and hardware threads (pus) the
// machine has and how many of them `allowed` covers, the hardware threads
// per core (smt), and each allowed CPU's core, L3, NUMA node and package.
nlohmann::ordered_json topology_json(const Topology& topo,
                                     const std::vector<int>& allowed);

// Warnings about this machine's state, each saying what to do.
std::vector<std::string> environment_warnings(
    const nlohmann::ordered_json& env);

// Every regular file of `dir` as {name: its first line}, names sorted; {}
// when `dir` cannot be read (e.g. the CPU-vulnerability mitigations in
// /sys/devices/system/cpu/vulnerabilities).
nlohmann::ordered_json files_of(const std::string& dir);

// Time the CPUs spent, in clock ticks (USER_HZ) since boot, from
// /proc/stat; steal is time a hypervisor gave to someone else.
struct CpuTimes {
  std::int64_t steal = 0;
  std::int64_t total = 0;  // user + nice + system + idle + iowait + irq +
                           // softirq + steal
  int cpus_found = 0;
};

// The sum over `cpus` of their "cpuN" lines of /proc/stat's text.
CpuTimes parse_cpu_times(const std::string& proc_stat,
                         const std::vector<int>& cpus);
CpuTimes read_cpu_times(const std::vector<int>& cpus);

// Steal time of `cpus` between two readings: {cpus, steal_ticks,
// total_ticks, steal_fraction (steal / total, 0 when no time passed)}.
nlohmann::ordered_json steal_between(const std::vector<int>& cpus,
                                     const CpuTimes& start,
                                     const CpuTimes& end);

// A warning when steal took more than kStealWarnFraction of the CPUs' time.
inline constexpr double kStealWarnFraction = 0.02;
std::optional<std::string> steal_warning(const nlohmann::ordered_json& steal);

}  // namespace ipcb::harness
