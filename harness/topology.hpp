// The machine's topology, as placement needs it: for each CPU (hwloc PU, by
// OS index) its core, L3 domain, NUMA node and package. Read with hwloc
// from this machine or built from a synthetic description, so that a small
// machine can test what a two-socket server does. The choice of CPUs for a
// placement preset is a pure function of a Topology and the allowed CPUs.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ipcb::harness {

// One hardware thread. The ids are hwloc's logical indexes (unique across
// the machine); -1 when hwloc knows no such object above this PU.
struct Pu {
  int os = -1;  // the CPU number sched_setaffinity takes
  int core = -1;
  int l3 = -1;
  int numa = -1;
  int package = -1;
};

// Promises: pus ascending by OS index; a PU without a core object is given
// a core of its own (core ids then count on past hwloc's cores).
struct Topology {
  std::vector<Pu> pus;

  // This machine, as hwloc sees it for this process. Throws
  // std::runtime_error naming the hwloc call that failed.
  static Topology from_machine();
  // hwloc's synthetic syntax, such as "package:2 l3cache:2 core:4 pu:2";
  // PU OS indexes are 0..N-1. Throws std::invalid_argument when hwloc
  // refuses the description.
  static Topology from_synthetic(const std::string& description);

  const Pu* find(int os) const;
};

// This machine's topology, read once (thread-safe).
const Topology& machine_topology();

// CPU numbers as a list: {0, 2, 3} -> "0,2,3".
std::string cpu_list(const std::vector<int>& cpus);

// The placement presets, in the order --placement=all runs them.
const std::vector<std::string>& placement_presets();
bool is_placement_preset(const std::string& name);

// A preset's CPUs, or why this machine (or the allowed CPUs) cannot give
// them. Of the pairs that satisfy the preset, the lowest OS indexes (driver
// first, then peer) are taken, so the choice is deterministic.
struct PresetChoice {
  int driver_cpu = -1;
  int peer_cpu = -1;
  std::string unavailable;  // empty when the CPUs were found
};

// preset: same (one CPU), smt (two hardware threads of one core), core (two
// cores sharing an L3), l3 (two cores in different L3 domains, in one NUMA
// node when there is such a pair), numa (two NUMA nodes), cross (two
// different cores). allowed: the CPUs this process may use. Throws
// std::invalid_argument for a name that is not a preset.
PresetChoice choose_cpus(const std::string& preset, const Topology& topo,
                         const std::vector<int>& allowed);

// --pairs: one (driver, peer) CPU pair per pair of processes.
struct PairCpus {
  int driver_cpu = -1;
  int peer_cpu = -1;
  bool operator==(const PairCpus&) const = default;
};

// The CPUs of N pairs. Each pair has the preset's relation (pair 0 is
// choose_cpus()'s pair); further pairs take, in order of preference, two
// cores no earlier pair uses, else two CPUs no earlier pair uses (on cores
// that another pair's SMT sibling also runs on: `shared_cores`), else the
// machine has run out and pair i reuses pair (i mod k)'s CPUs, k being the
// pairs that fitted: `oversubscribed` (some CPU serves two pairs).
struct PairAssignment {
  std::vector<PairCpus> pairs;  // empty when `unavailable`
  int distinct_pairs = 0;       // k: pairs on CPUs of their own
  bool shared_cores = false;
  bool oversubscribed = false;
  std::string unavailable;  // choose_cpus()'s reason, when pair 0 has none
};

// preset: as choose_cpus(); count >= 1. Throws std::invalid_argument for
// a name that is not a preset.
PairAssignment assign_pairs(const std::string& preset, const Topology& topo,
                            const std::vector<int>& allowed, int count);
// The same with pair 0 given (--cpus=A,B): further pairs share with each
// other what A and B share (shared_level()).
PairAssignment assign_pairs_like(PairCpus first, const Topology& topo,
                                 const std::vector<int>& allowed, int count);

// fanin: the consumer and each producer's CPU. The consumer and producer 0
// are the preset's (driver, peer) pair; further producers take, in order of
// preference, a core no one uses yet with the preset's relation to the
// consumer, any core no one uses yet, a CPU no one uses yet
// (`shared_cores`), else the producers' CPUs again in turn:
// `oversubscribed` (a CPU serves two producers, or a producer and the
// consumer beyond what the preset asks).
struct FaninAssignment {
  int consumer_cpu = -1;
  std::vector<int> producer_cpus;  // empty when `unavailable`
  int distinct_producers = 0;      // producers on CPUs of their own
  bool shared_cores = false;
  bool oversubscribed = false;
  std::string unavailable;
};

FaninAssignment assign_fanin(const std::string& preset, const Topology& topo,
                             const std::vector<int>& allowed, int producers);
// The same with the consumer on first.driver_cpu and producer 0 on
// first.peer_cpu (--cpus=A,B).
FaninAssignment assign_fanin_like(PairCpus first, const Topology& topo,
                                  const std::vector<int>& allowed,
                                  int producers);

// What two CPUs share, the closest first: "CPU", "core", "L3",
// "NUMA node", "package", or "nothing" (only the machine).
std::string shared_level(const Topology& topo, int a, int b);
// The same, as a caption says it: "same CPU", "same core (SMT siblings)",
// "same L3", "same NUMA node", "same package", "different NUMA nodes",
// "different packages".
std::string describe_sharing(const Topology& topo, int a, int b);

}  // namespace ipcb::harness
