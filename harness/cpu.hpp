// CPU placement: which CPU each side runs on, chosen explicitly and recorded.
#pragma once

#include <string>
#include <vector>

#include "harness/topology.hpp"

namespace ipcb::harness {

// CPUs in this process's affinity mask, ascending.
std::vector<int> allowed_cpus();

struct Placement {
  std::string preset;   // a preset (placement_presets()), "custom", "none"
  int driver_cpu = -1;  // -1: not pinned (or the preset is unavailable)
  int peer_cpu = -1;
  std::string note;  // e.g. why the default fell back from "cross"
  // Why this machine cannot give the preset: its cases are skipped with
  // this reason. Empty when the placement can run.
  std::string unavailable;
  // When pinned: what the two CPUs share (shared_level(), and as a caption
  // says it, describe_sharing()) and where each one sits.
  std::string shares;
  std::string sharing;
  Pu driver_pu;
  Pu peer_pu;
  std::string describe() const;  // "cpus 0,1 (cross)"
  std::string name() const;      // "cross", "same", "none", "0:1"
};

// spec: a preset resolved against topo (choose_cpus: same, smt, core, l3,
// numa, cross), "A,B" (explicit), "none" (no pinning), or "" (the default:
// cross, or when this machine cannot give cross, smt or else same, with a
// note saying so). A preset the machine lacks comes back with
// `unavailable` set, never replaced by another. Throws
// std::invalid_argument naming what is accepted.
Placement resolve_placement(const std::string& spec, const Topology& topo,
                            const std::vector<int>& allowed);
// The same against this machine's topology.
Placement resolve_placement(const std::string& spec,
                            const std::vector<int>& allowed);

// --pairs: the CPUs of `count` pairs under a resolved placement: its
// preset's relation (assign_pairs), or for custom CPUs what they share
// (assign_pairs_like). Unpinned (none, or the preset unavailable): every
// pair unpinned (-1), oversubscribed when 2 x count exceeds the allowed
// CPUs.
PairAssignment assign_pairs(const Placement& place, const Topology& topo,
                            const std::vector<int>& allowed, int count);
// fanin: the consumer's and each producer's CPU, the same way; unpinned:
// oversubscribed when producers + 1 exceeds the allowed CPUs.
FaninAssignment assign_fanin(const Placement& place, const Topology& topo,
                             const std::vector<int>& allowed, int producers);

// Pins the calling thread to cpu (-1: back to the initial mask); throws.
void pin_current_thread(int cpu);

}  // namespace ipcb::harness

namespace ipcb::harness {
// The affinity mask the process started with (captured on first call, which
// main() makes before pinning anything).
const std::vector<int>& initial_cpus();
}  // namespace ipcb::harness
