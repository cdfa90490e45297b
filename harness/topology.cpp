#include "harness/topology.hpp"

#include <hwloc.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <set>
#include <stdexcept>
#include <utility>

namespace ipcb::harness {

namespace {

struct TopologyDeleter {
  void operator()(hwloc_topology* t) const { hwloc_topology_destroy(t); }
};
using HwlocTopology = std::unique_ptr<hwloc_topology, TopologyDeleter>;

int logical_ancestor(hwloc_topology_t topo, hwloc_obj_t pu,
                     hwloc_obj_type_t type) {
  hwloc_obj_t obj = hwloc_get_ancestor_obj_by_type(topo, type, pu);
  return obj ? static_cast<int>(obj->logical_index) : -1;
}

// The NUMA node whose CPUs include pu (hwloc 2 hangs NUMA nodes beside the
// CPU hierarchy, not above it).
int numa_of(hwloc_topology_t topo, hwloc_obj_t pu) {
  hwloc_obj_t node = nullptr;
  while ((node = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, node))) {
    if (node->cpuset && hwloc_bitmap_isset(node->cpuset, pu->os_index))
      return static_cast<int>(node->logical_index);
  }
  return -1;
}

Topology model_of(hwloc_topology_t topo) {
  Topology out;
  const int cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
  int next_core = std::max(cores, 0);
  hwloc_obj_t pu = nullptr;
  while ((pu = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_PU, pu))) {
    Pu p;
    p.os = static_cast<int>(pu->os_index);
    p.core = logical_ancestor(topo, pu, HWLOC_OBJ_CORE);
    if (p.core < 0) p.core = next_core++;
    p.l3 = logical_ancestor(topo, pu, HWLOC_OBJ_L3CACHE);
    p.numa = numa_of(topo, pu);
    p.package = logical_ancestor(topo, pu, HWLOC_OBJ_PACKAGE);
    out.pus.push_back(p);
  }
  std::sort(out.pus.begin(), out.pus.end(),
            [](const Pu& a, const Pu& b) { return a.os < b.os; });
  return out;
}

// Initialises a topology, lets `configure` choose its source, loads it.
template <class Error>
HwlocTopology load(const std::string& what,
                   const std::function<int(hwloc_topology_t)>& configure) {
  hwloc_topology_t raw = nullptr;
  if (hwloc_topology_init(&raw) != 0)
    throw std::runtime_error("hwloc_topology_init failed");
  HwlocTopology topo(raw);
  if (configure(raw) != 0) throw Error(what + ": hwloc refused it");
  if (hwloc_topology_load(raw) != 0)
    throw std::runtime_error(what + ": hwloc_topology_load failed");
  return topo;
}

// The allowed CPUs that the topology knows, ascending.
std::vector<const Pu*> usable(const Topology& topo,
                              const std::vector<int>& allowed) {
  std::vector<const Pu*> out;
  for (const Pu& p : topo.pus) {
    if (std::find(allowed.begin(), allowed.end(), p.os) != allowed.end())
      out.push_back(&p);
  }
  return out;
}

using Relation = std::function<bool(const Pu&, const Pu&)>;

// The lowest (driver, peer) pair of different CPUs in the relation.
std::optional<std::pair<int, int>> lowest_pair(
    const std::vector<const Pu*>& pus, const Relation& rel) {
  for (std::size_t i = 0; i < pus.size(); ++i) {
    for (std::size_t j = i + 1; j < pus.size(); ++j) {
      if (rel(*pus[i], *pus[j])) return std::make_pair(pus[i]->os, pus[j]->os);
    }
  }
  return std::nullopt;
}

// Whether the whole machine (every PU, allowed or not) has such a pair.
bool machine_has(const Topology& topo, const Relation& rel) {
  std::vector<const Pu*> all;
  for (const Pu& p : topo.pus) all.push_back(&p);
  return lowest_pair(all, rel).has_value();
}

std::size_t count_known(const Topology& topo, int Pu::*field) {
  std::set<int> ids;
  for (const Pu& p : topo.pus) {
    if (p.*field >= 0) ids.insert(p.*field);
  }
  return ids.size();
}

bool smt(const Pu& a, const Pu& b) { return a.core == b.core; }
bool other_core(const Pu& a, const Pu& b) { return a.core != b.core; }
bool shared_l3(const Pu& a, const Pu& b) {
  return other_core(a, b) && a.l3 >= 0 && a.l3 == b.l3;
}
bool other_l3(const Pu& a, const Pu& b) {
  return other_core(a, b) && a.l3 >= 0 && b.l3 >= 0 && a.l3 != b.l3;
}
bool other_l3_one_node(const Pu& a, const Pu& b) {
  return other_l3(a, b) && a.numa == b.numa;
}
bool other_numa(const Pu& a, const Pu& b) {
  return a.numa >= 0 && b.numa >= 0 && a.numa != b.numa;
}

// Why the machine, or else the allowed CPUs, have no pair for the preset.
std::string why_not(const std::string& preset, const Topology& topo,
                    const std::vector<int>& allowed) {
  const std::string mask = " (allowed CPUs: " + cpu_list(allowed) + ")";
  if (preset == "smt") {
    if (!machine_has(topo, smt))
      return "no SMT on this machine: every core has one hardware thread";
    return "no two SMT siblings are allowed" + mask;
  }
  if (preset == "cross") {
    if (count_known(topo, &Pu::core) < 2)
      return "only one core on this machine: cross needs two different "
             "cores (its hardware threads are SMT siblings: --placement=smt)";
    if (allowed.size() < 2)
      return "only one CPU allowed" + mask + ": cross needs two cores";
    return "only one core allowed" + mask +
           ": cross needs two different cores, never SMT siblings";
  }
  const bool l3_known = count_known(topo, &Pu::l3) > 0;
  if (preset == "core") {
    if (!l3_known) return "no L3 cache known on this machine";
    if (!machine_has(topo, shared_l3))
      return "no two cores share an L3 on this machine: each L3 serves one "
             "core";
    return "no two allowed cores share an L3" + mask;
  }
  if (preset == "l3") {
    if (!l3_known) return "no L3 cache known on this machine";
    if (count_known(topo, &Pu::l3) < 2)
      return "only one L3 domain on this machine";
    return "the allowed CPUs are in one L3 domain" + mask;
  }
  // numa
  if (count_known(topo, &Pu::numa) < 2)
    return "only one NUMA node on this machine";
  return "the allowed CPUs are in one NUMA node" + mask;
}

// A preset's relation between a pair's two CPUs, the preferred first;
// `one_cpu`: the pair is one CPU (same).
struct Relations {
  std::vector<Relation> tiers;
  bool one_cpu = false;
};

Relations relations_of(const std::string& preset) {
  if (preset == "same")
    return {{[](const Pu& a, const Pu& b) { return a.os == b.os; }}, true};
  if (preset == "smt") return {{smt}, false};
  if (preset == "core") return {{shared_l3}, false};
  if (preset == "l3") return {{other_l3_one_node, other_l3}, false};
  if (preset == "numa") return {{other_numa}, false};
  return {{other_core}, false};  // cross
}

// Two CPUs that share exactly what `first`'s two share.
Relations relations_like(const Topology& topo, PairCpus first) {
  if (first.driver_cpu == first.peer_cpu) return relations_of("same");
  const std::string level =
      shared_level(topo, first.driver_cpu, first.peer_cpu);
  const Topology* t = &topo;
  return {{[t, level](const Pu& a, const Pu& b) {
            return a.os != b.os && shared_level(*t, a.os, b.os) == level;
          }},
          false};
}

// What the CPUs handed out so far occupy.
struct Taken {
  std::set<int> cpus, cores;
  void add(const Pu& p) {
    cpus.insert(p.os);
    cores.insert(p.core);
  }
  bool free_cpu(const Pu& p) const { return !cpus.count(p.os); }
  bool free_core(const Pu& p) const {
    return free_cpu(p) && !cores.count(p.core);
  }
};

// The lowest pair in one of `rel`'s tiers whose CPUs (whole_cores: and
// their cores) no earlier pair took.
std::optional<std::pair<const Pu*, const Pu*>> next_pair(
    const std::vector<const Pu*>& pus, const Relations& rel, const Taken& taken,
    bool whole_cores) {
  auto free = [&](const Pu& p) {
    return whole_cores ? taken.free_core(p) : taken.free_cpu(p);
  };
  for (const Relation& r : rel.tiers) {
    for (std::size_t i = 0; i < pus.size(); ++i) {
      if (!free(*pus[i])) continue;
      if (rel.one_cpu) return std::make_pair(pus[i], pus[i]);
      for (std::size_t j = i + 1; j < pus.size(); ++j) {
        // Both halves of an SMT pair sit on one core: it must be free
        // before either takes it.
        if (free(*pus[j]) && r(*pus[i], *pus[j]))
          return std::make_pair(pus[i], pus[j]);
      }
    }
  }
  return std::nullopt;
}

PairAssignment assign_after(PairCpus first, const Relations& rel,
                            const Topology& topo,
                            const std::vector<int>& allowed, int count) {
  PairAssignment a;
  const std::vector<const Pu*> pus = usable(topo, allowed);
  Taken taken;
  auto take = [&](int os) {
    if (const Pu* p = topo.find(os)) taken.add(*p);
  };
  a.pairs.push_back(first);
  take(first.driver_cpu);
  take(first.peer_cpu);
  for (int i = 1; i < count; ++i) {
    auto next = next_pair(pus, rel, taken, true);
    if (!next) {
      next = next_pair(pus, rel, taken, false);
      if (!next) break;
      a.shared_cores = true;
    }
    a.pairs.push_back({next->first->os, next->second->os});
    taken.add(*next->first);
    taken.add(*next->second);
  }
  a.distinct_pairs = static_cast<int>(a.pairs.size());
  for (int i = a.distinct_pairs; i < count; ++i) {
    a.pairs.push_back(a.pairs[static_cast<std::size_t>(i % a.distinct_pairs)]);
    a.oversubscribed = true;
  }
  return a;
}

// The lowest allowed CPU no one took whose core (whole_core) is free too,
// and, when `to` is given, in one of rel's tiers with the consumer.
const Pu* next_cpu(const std::vector<const Pu*>& pus, const Taken& taken,
                   bool whole_core, const Relations* rel, const Pu* to) {
  const std::vector<Relation> any = {[](const Pu&, const Pu&) { return true; }};
  for (const Relation& r : rel ? rel->tiers : any) {
    for (const Pu* p : pus) {
      const bool free = whole_core ? taken.free_core(*p) : taken.free_cpu(*p);
      if (free && (!to || r(*to, *p))) return p;
    }
  }
  return nullptr;
}

FaninAssignment fanin_after(PairCpus first, const Relations& rel,
                            const Topology& topo,
                            const std::vector<int>& allowed, int producers) {
  FaninAssignment a;
  const std::vector<const Pu*> pus = usable(topo, allowed);
  a.consumer_cpu = first.driver_cpu;
  a.producer_cpus.push_back(first.peer_cpu);
  Taken taken;
  const Pu* consumer = topo.find(first.driver_cpu);
  if (consumer) taken.add(*consumer);
  if (const Pu* p = topo.find(first.peer_cpu)) taken.add(*p);
  for (int i = 1; i < producers; ++i) {
    const Pu* p = next_cpu(pus, taken, true, &rel, consumer);
    if (!p) p = next_cpu(pus, taken, true, nullptr, nullptr);
    if (!p) {
      p = next_cpu(pus, taken, false, nullptr, nullptr);
      if (!p) break;
      a.shared_cores = true;
    }
    a.producer_cpus.push_back(p->os);
    taken.add(*p);
  }
  const std::size_t placed = a.producer_cpus.size();
  a.distinct_producers = static_cast<int>(placed);
  for (std::size_t i = placed; i < static_cast<std::size_t>(producers); ++i) {
    a.producer_cpus.push_back(a.producer_cpus[i % placed]);
    a.oversubscribed = true;
  }
  return a;
}

}  // namespace

Topology Topology::from_machine() {
  auto topo = load<std::runtime_error>("this machine's topology",
                                       [](hwloc_topology_t) { return 0; });
  return model_of(topo.get());
}

Topology Topology::from_synthetic(const std::string& description) {
  auto topo = load<std::invalid_argument>(
      "synthetic topology '" + description + "'", [&](hwloc_topology_t t) {
        return hwloc_topology_set_synthetic(t, description.c_str());
      });
  return model_of(topo.get());
}

const Pu* Topology::find(int os) const {
  for (const Pu& p : pus) {
    if (p.os == os) return &p;
  }
  return nullptr;
}

const Topology& machine_topology() {
  static const Topology kMachine = Topology::from_machine();
  return kMachine;
}

const std::vector<std::string>& placement_presets() {
  static const std::vector<std::string> kPresets = {"same", "smt",  "core",
                                                    "l3",   "numa", "cross"};
  return kPresets;
}

bool is_placement_preset(const std::string& name) {
  const auto& p = placement_presets();
  return std::find(p.begin(), p.end(), name) != p.end();
}

PresetChoice choose_cpus(const std::string& preset, const Topology& topo,
                         const std::vector<int>& allowed) {
  if (!is_placement_preset(preset))
    throw std::invalid_argument("'" + preset + "' is not a placement preset");
  const std::vector<const Pu*> pus = usable(topo, allowed);
  PresetChoice c;
  if (pus.empty()) {
    c.unavailable = "no CPU allowed that the topology knows";
    return c;
  }
  if (preset == "same") {
    c.driver_cpu = c.peer_cpu = pus.front()->os;
    return c;
  }
  std::optional<std::pair<int, int>> pair;
  if (preset == "smt") pair = lowest_pair(pus, smt);
  if (preset == "core") pair = lowest_pair(pus, shared_l3);
  if (preset == "l3") {
    pair = lowest_pair(pus, other_l3_one_node);
    if (!pair) pair = lowest_pair(pus, other_l3);
  }
  if (preset == "numa") pair = lowest_pair(pus, other_numa);
  if (preset == "cross") pair = lowest_pair(pus, other_core);
  if (!pair) {
    c.unavailable = why_not(preset, topo, allowed);
    return c;
  }
  c.driver_cpu = pair->first;
  c.peer_cpu = pair->second;
  return c;
}

PairAssignment assign_pairs(const std::string& preset, const Topology& topo,
                            const std::vector<int>& allowed, int count) {
  const PresetChoice c = choose_cpus(preset, topo, allowed);
  if (!c.unavailable.empty()) {
    PairAssignment a;
    a.unavailable = c.unavailable;
    return a;
  }
  return assign_after({c.driver_cpu, c.peer_cpu}, relations_of(preset), topo,
                      allowed, count);
}

PairAssignment assign_pairs_like(PairCpus first, const Topology& topo,
                                 const std::vector<int>& allowed, int count) {
  return assign_after(first, relations_like(topo, first), topo, allowed, count);
}

FaninAssignment assign_fanin(const std::string& preset, const Topology& topo,
                             const std::vector<int>& allowed, int producers) {
  const PresetChoice c = choose_cpus(preset, topo, allowed);
  if (!c.unavailable.empty()) {
    FaninAssignment a;
    a.unavailable = c.unavailable;
    return a;
  }
  return fanin_after({c.driver_cpu, c.peer_cpu}, relations_of(preset), topo,
                     allowed, producers);
}

FaninAssignment assign_fanin_like(PairCpus first, const Topology& topo,
                                  const std::vector<int>& allowed,
                                  int producers) {
  return fanin_after(first, relations_like(topo, first), topo, allowed,
                     producers);
}

std::string shared_level(const Topology& topo, int a, int b) {
  const Pu* pa = topo.find(a);
  const Pu* pb = topo.find(b);
  if (a == b) return "CPU";
  if (!pa || !pb) return "nothing";
  if (pa->core == pb->core) return "core";
  if (pa->l3 >= 0 && pa->l3 == pb->l3) return "L3";
  if (pa->numa >= 0 && pa->numa == pb->numa) return "NUMA node";
  if (pa->package >= 0 && pa->package == pb->package) return "package";
  return "nothing";
}

std::string describe_sharing(const Topology& topo, int a, int b) {
  const std::string level = shared_level(topo, a, b);
  if (level == "core") return "same core (SMT siblings)";
  if (level != "nothing") return "same " + level;
  const Pu* pa = topo.find(a);
  const Pu* pb = topo.find(b);
  if (pa && pb && pa->numa >= 0 && pb->numa >= 0) return "different NUMA nodes";
  if (pa && pb && pa->package >= 0 && pb->package >= 0)
    return "different packages";
  return "nothing known in common";
}

std::string cpu_list(const std::vector<int>& cpus) {
  std::string s;
  for (int c : cpus) {
    if (!s.empty()) s += ',';
    s += std::to_string(c);
  }
  return s;
}

}  // namespace ipcb::harness
