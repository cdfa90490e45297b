#include "harness/cpu.hpp"

#include <sched.h>

#include <algorithm>
#include <stdexcept>

#include "sys/checked.hpp"

namespace ipcb::harness {

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  sys::checked("sched_getaffinity", "self",
               [&] { return ::sched_getaffinity(0, sizeof set, &set); });
  std::vector<int> out;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) out.push_back(c);
  }
  return out;
}

std::string Placement::describe() const {
  if (!unavailable.empty()) return preset + " unavailable: " + unavailable;
  if (driver_cpu < 0) return "unpinned (none)";
  return "cpus " + std::to_string(driver_cpu) + "," + std::to_string(peer_cpu) +
         " (" + preset + ")";
}

std::string Placement::name() const {
  if (preset == "custom")
    return std::to_string(driver_cpu) + ":" + std::to_string(peer_cpu);
  return preset;
}

namespace {

// Digits only: no sign, blank or base prefix, and few enough not to overflow.
int parse_cpu(const std::string& s, const std::vector<int>& allowed) {
  const bool digits = !s.empty() && s.size() <= 9 &&
                      std::all_of(s.begin(), s.end(),
                                  [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) {
    throw std::invalid_argument("--cpus: '" + s +
                                "' is not a CPU number; accepted: A,B, same, "
                                "smt, core, l3, numa, cross or none");
  }
  const int cpu = std::stoi(s);
  if (std::find(allowed.begin(), allowed.end(), cpu) == allowed.end()) {
    throw std::invalid_argument("--cpus: CPU " + s +
                                " is not in this process's affinity mask "
                                "(allowed: " +
                                cpu_list(allowed) + ")");
  }
  return cpu;
}
}  // namespace

namespace {
// Records where the two CPUs sit and what they share.
void add_sharing(Placement& p, const Topology& topo) {
  if (p.driver_cpu < 0) return;
  p.shares = shared_level(topo, p.driver_cpu, p.peer_cpu);
  p.sharing = describe_sharing(topo, p.driver_cpu, p.peer_cpu);
  if (const Pu* d = topo.find(p.driver_cpu)) p.driver_pu = *d;
  if (const Pu* d = topo.find(p.peer_cpu)) p.peer_pu = *d;
}

Placement from_preset(const std::string& preset, const Topology& topo,
                      const std::vector<int>& allowed) {
  const PresetChoice c = choose_cpus(preset, topo, allowed);
  Placement p;
  p.preset = preset;
  p.driver_cpu = c.driver_cpu;
  p.peer_cpu = c.peer_cpu;
  p.unavailable = c.unavailable;
  return p;
}

// No --cpus or --placement: cross, or the closest this machine has.
Placement default_placement(const Topology& topo,
                            const std::vector<int>& allowed) {
  Placement p = from_preset("cross", topo, allowed);
  if (p.unavailable.empty()) return p;
  const std::string why = p.unavailable;
  p = from_preset("smt", topo, allowed);
  if (!p.unavailable.empty()) p = from_preset("same", topo, allowed);
  if (!p.unavailable.empty()) throw std::invalid_argument(p.unavailable);
  const std::string where =
      p.preset == "smt" ? "SMT siblings " + cpu_list({p.driver_cpu, p.peer_cpu})
                        : "one CPU, " + std::to_string(p.driver_cpu);
  p.note = "cross cannot run here (" + why + "): both sides on " + where +
           " instead (placement " + p.preset + ")";
  return p;
}
}  // namespace

Placement resolve_placement(const std::string& spec, const Topology& topo,
                            const std::vector<int>& allowed) {
  Placement p;
  if (spec == "none") {
    p.preset = "none";
    return p;
  }
  if (allowed.empty()) throw std::invalid_argument("no CPU allowed");
  if (spec.empty()) {
    p = default_placement(topo, allowed);
  } else if (is_placement_preset(spec)) {
    p = from_preset(spec, topo, allowed);
  } else {
    auto comma = spec.find(',');
    if (comma == std::string::npos || spec.find(',', comma + 1) != spec.npos) {
      throw std::invalid_argument(
          "--cpus: '" + spec +
          "' is not accepted; use A,B (two CPU numbers from " +
          cpu_list(allowed) + "), same, smt, core, l3, numa, cross or none");
    }
    p.preset = "custom";
    p.driver_cpu = parse_cpu(spec.substr(0, comma), allowed);
    p.peer_cpu = parse_cpu(spec.substr(comma + 1), allowed);
  }
  add_sharing(p, topo);
  return p;
}

Placement resolve_placement(const std::string& spec,
                            const std::vector<int>& allowed) {
  return resolve_placement(spec, machine_topology(), allowed);
}

PairAssignment assign_pairs(const Placement& place, const Topology& topo,
                            const std::vector<int>& allowed, int count) {
  if (place.driver_cpu < 0) {
    PairAssignment a;
    a.pairs.assign(static_cast<std::size_t>(count), PairCpus{});
    a.distinct_pairs = count;
    a.oversubscribed = 2 * static_cast<std::size_t>(count) > allowed.size();
    return a;
  }
  if (place.preset == "custom")
    return assign_pairs_like({place.driver_cpu, place.peer_cpu}, topo, allowed,
                             count);
  return harness::assign_pairs(place.preset, topo, allowed, count);
}

FaninAssignment assign_fanin(const Placement& place, const Topology& topo,
                             const std::vector<int>& allowed, int producers) {
  if (place.driver_cpu < 0) {
    FaninAssignment a;
    a.producer_cpus.assign(static_cast<std::size_t>(producers), -1);
    a.distinct_producers = producers;
    a.oversubscribed = static_cast<std::size_t>(producers) + 1 > allowed.size();
    return a;
  }
  if (place.preset == "custom")
    return assign_fanin_like({place.driver_cpu, place.peer_cpu}, topo, allowed,
                             producers);
  return harness::assign_fanin(place.preset, topo, allowed, producers);
}

const std::vector<int>& initial_cpus() {
  static const std::vector<int> kInitial = allowed_cpus();
  return kInitial;
}

void pin_current_thread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (cpu >= 0) {
    CPU_SET(cpu, &set);
  } else {
    for (int c : initial_cpus()) CPU_SET(c, &set);
  }
  sys::checked("sched_setaffinity", "cpu " + std::to_string(cpu),
               [&] { return ::sched_setaffinity(0, sizeof set, &set); });
}

}  // namespace ipcb::harness
