// Placement presets resolved against synthetic hwloc topologies, so that a
// two-CPU machine tests what SMT cores, several L3s and NUMA nodes do: each
// preset picks the lowest CPUs with the right relation, or says why not.
#include "harness/topology.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <stdexcept>

#include "harness/cpu.hpp"
#include "topology_util.hpp"

namespace ipcb::harness {
namespace {

// The preset's CPUs on `t` with every CPU allowed, checked to exist.
std::pair<int, int> cpus_of(const std::string& preset, const Topology& t,
                            std::vector<int> allowed = {}) {
  if (allowed.empty()) allowed = every_cpu(t);
  const PresetChoice c = choose_cpus(preset, t, allowed);
  EXPECT_EQ(c.unavailable, "") << preset;
  return {c.driver_cpu, c.peer_cpu};
}

std::string reason_of(const std::string& preset, const Topology& t,
                      std::vector<int> allowed = {}) {
  if (allowed.empty()) allowed = every_cpu(t);
  const PresetChoice c = choose_cpus(preset, t, allowed);
  EXPECT_EQ(c.driver_cpu, -1) << preset;
  EXPECT_EQ(c.peer_cpu, -1) << preset;
  return c.unavailable;
}

using P = std::pair<int, int>;

TEST(Topology, SyntheticModelHasEveryPuWithItsCoreL3AndPackage) {
  const Topology t =
      Topology::from_synthetic("package:2 l3cache:2 core:4 pu:2");
  ASSERT_EQ(t.pus.size(), 32u);
  const Pu* p = t.find(9);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->core, 4);
  EXPECT_EQ(p->l3, 1);
  EXPECT_EQ(p->package, 0);
  EXPECT_EQ(p->numa, 0);
  EXPECT_EQ(t.find(17)->package, 1);
  EXPECT_EQ(t.find(32), nullptr);
}

TEST(Topology, RefusesADescriptionHwlocDoesNotAccept) {
  EXPECT_THROW(Topology::from_synthetic("socket:banana"),
               std::invalid_argument);
}

TEST(Topology, SmtCoresInTwoL3sOneNumaNode) {
  const Topology t =
      Topology::from_synthetic("package:2 l3cache:2 core:4 pu:2");
  EXPECT_EQ(cpus_of("same", t), P(0, 0));
  EXPECT_EQ(cpus_of("smt", t), P(0, 1));
  EXPECT_EQ(cpus_of("core", t), P(0, 2));
  EXPECT_EQ(cpus_of("l3", t), P(0, 8));
  EXPECT_EQ(cpus_of("cross", t), P(0, 2));
  EXPECT_EQ(reason_of("numa", t), "only one NUMA node on this machine");

  EXPECT_EQ(shared_level(t, 0, 0), "CPU");
  EXPECT_EQ(shared_level(t, 0, 1), "core");
  EXPECT_EQ(shared_level(t, 0, 2), "L3");
  EXPECT_EQ(shared_level(t, 0, 8), "NUMA node");
  EXPECT_EQ(describe_sharing(t, 0, 1), "same core (SMT siblings)");
  EXPECT_EQ(describe_sharing(t, 0, 2), "same L3");
}

TEST(Topology, TwoSocketsTwoNumaNodes) {
  // One NUMA node and one L3 per package.
  const Topology t =
      Topology::from_synthetic("package:2 [numa] l3cache:1 core:2 pu:2");
  ASSERT_EQ(t.pus.size(), 8u);
  EXPECT_EQ(t.find(3)->numa, 0);
  EXPECT_EQ(t.find(4)->numa, 1);
  EXPECT_EQ(cpus_of("smt", t), P(0, 1));
  EXPECT_EQ(cpus_of("core", t), P(0, 2));
  EXPECT_EQ(cpus_of("cross", t), P(0, 2));
  EXPECT_EQ(cpus_of("numa", t), P(0, 4));
  // The only other L3 is across the sockets.
  EXPECT_EQ(cpus_of("l3", t), P(0, 4));
  EXPECT_EQ(shared_level(t, 0, 4), "nothing");
  EXPECT_EQ(describe_sharing(t, 0, 4), "different NUMA nodes");
}

TEST(Topology, L3PrefersTwoL3sInOneNumaNode) {
  const Topology t =
      Topology::from_synthetic("package:2 [numa] l3cache:2 core:2 pu:1");
  EXPECT_EQ(cpus_of("l3", t), P(0, 2));
  EXPECT_EQ(shared_level(t, 0, 2), "NUMA node");
  EXPECT_EQ(cpus_of("numa", t), P(0, 4));
  EXPECT_EQ(cpus_of("core", t), P(0, 1));
}

TEST(Topology, NumaNodesWithoutPackagesOrCaches) {
  const Topology t = Topology::from_synthetic("numa:2 core:2 pu:1");
  EXPECT_EQ(cpus_of("numa", t), P(0, 2));
  EXPECT_EQ(describe_sharing(t, 0, 2), "different NUMA nodes");
  EXPECT_EQ(reason_of("l3", t), "no L3 cache known on this machine");
}

TEST(Topology, TwoSingleThreadCoresLikeThisVm) {
  const Topology t = Topology::from_synthetic("core:2 pu:1");
  EXPECT_EQ(cpus_of("same", t), P(0, 0));
  EXPECT_EQ(cpus_of("cross", t), P(0, 1));
  EXPECT_EQ(reason_of("smt", t),
            "no SMT on this machine: every core has one hardware thread");
  EXPECT_EQ(reason_of("core", t), "no L3 cache known on this machine");
  EXPECT_EQ(reason_of("l3", t), "no L3 cache known on this machine");
  EXPECT_EQ(reason_of("numa", t), "only one NUMA node on this machine");
}

TEST(Topology, AnL3PerCoreAsSomeVirtualMachinesReport) {
  const Topology t = Topology::from_synthetic("l3cache:2 core:1 pu:1");
  EXPECT_EQ(cpus_of("l3", t), P(0, 1));
  EXPECT_EQ(reason_of("core", t),
            "no two cores share an L3 on this machine: each L3 serves one "
            "core");
}

TEST(Topology, OneSmtCoreCannotRunCross) {
  const Topology t = Topology::from_synthetic("core:1 pu:2");
  EXPECT_EQ(cpus_of("smt", t), P(0, 1));
  EXPECT_EQ(cpus_of("same", t), P(0, 0));
  EXPECT_EQ(reason_of("cross", t),
            "only one core on this machine: cross needs two different cores "
            "(its hardware threads are SMT siblings: --placement=smt)");
  EXPECT_EQ(reason_of("l3", t), "no L3 cache known on this machine");
}

TEST(Topology, OnlyTheAllowedCpusAreChosen) {
  const Topology t =
      Topology::from_synthetic("package:2 l3cache:2 core:4 pu:2");
  // Two SMT siblings allowed: no second core.
  EXPECT_EQ(cpus_of("smt", t, {0, 1}), P(0, 1));
  EXPECT_EQ(reason_of("cross", t, {0, 1}),
            "only one core allowed (allowed CPUs: 0,1): cross needs two "
            "different cores, never SMT siblings");
  EXPECT_EQ(reason_of("core", t, {0, 1}),
            "no two allowed cores share an L3 (allowed CPUs: 0,1)");
  EXPECT_EQ(reason_of("l3", t, {0, 1}),
            "the allowed CPUs are in one L3 domain (allowed CPUs: 0,1)");
  // The lowest allowed CPUs, not the machine's lowest.
  EXPECT_EQ(cpus_of("same", t, {5, 3}), P(3, 3));
  EXPECT_EQ(cpus_of("l3", t, {1, 9, 12}), P(1, 9));
  EXPECT_EQ(cpus_of("cross", t, {3, 4, 5}), P(3, 4));
  EXPECT_EQ(reason_of("smt", t, {0, 2, 4}),
            "no two SMT siblings are allowed (allowed CPUs: 0,2,4)");
  EXPECT_EQ(reason_of("cross", t, {6}),
            "only one CPU allowed (allowed CPUs: 6): cross needs two cores");
  EXPECT_EQ(reason_of("same", t, {99}),
            "no CPU allowed that the topology knows");

  const Topology numa =
      Topology::from_synthetic("package:2 [numa] l3cache:1 core:2 pu:2");
  EXPECT_EQ(reason_of("numa", numa, {0, 1, 2, 3}),
            "the allowed CPUs are in one NUMA node (allowed CPUs: 0,1,2,3)");
  EXPECT_EQ(cpus_of("numa", numa, {2, 7}), P(2, 7));
}

TEST(Topology, PresetsInTheOrderAllRunsThem) {
  EXPECT_EQ(
      placement_presets(),
      (std::vector<std::string>{"same", "smt", "core", "l3", "numa", "cross"}));
  EXPECT_THROW(choose_cpus("custom", Topology{}, {0}), std::invalid_argument);
}

TEST(Topology, ThisMachineHasEveryAllowedCpu) {
  const Topology& t = machine_topology();
  for (int cpu : initial_cpus()) EXPECT_NE(t.find(cpu), nullptr) << cpu;
  // cross on this machine: two different cores, never SMT siblings.
  const PresetChoice c = choose_cpus("cross", t, initial_cpus());
  if (c.unavailable.empty()) {
    EXPECT_NE(t.find(c.driver_cpu)->core, t.find(c.peer_cpu)->core);
  }
}

}  // namespace
}  // namespace ipcb::harness
