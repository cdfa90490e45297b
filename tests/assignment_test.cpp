// --pairs and --producers on CPUs of their own, on synthetic hwloc
// topologies: every pair has its placement's relation, no CPU serves two
// pairs (or two producers) while the machine has enough, and
// oversubscription is reported exactly when it happens.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "harness/topology.hpp"
#include "topology_util.hpp"

namespace ipcb::harness {
namespace {

// Whether (a, b) has the preset's relation.
bool related(const std::string& preset, const Topology& t, int a, int b) {
  const Pu& pa = *t.find(a);
  const Pu& pb = *t.find(b);
  if (preset == "same") return a == b;
  if (preset == "smt") return a != b && pa.core == pb.core;
  if (preset == "core") return pa.core != pb.core && pa.l3 == pb.l3;
  if (preset == "l3") return pa.core != pb.core && pa.l3 != pb.l3;
  if (preset == "numa") return pa.numa != pb.numa;
  return pa.core != pb.core;  // cross
}

// How many times each CPU is used across the pairs (a pair on one CPU
// counts once).
std::map<int, int> uses(const PairAssignment& a) {
  std::map<int, int> n;
  for (const auto& p : a.pairs) {
    ++n[p.driver_cpu];
    if (p.peer_cpu != p.driver_cpu) ++n[p.peer_cpu];
  }
  return n;
}

// Checks the assignment of `count` pairs: relation, distinctness and the
// oversubscription flag, which must be set exactly when `fits` < count.
void expect_pairs(const std::string& preset, const Topology& t, int count,
                  int fits, int on_own_cores, std::vector<int> allowed = {}) {
  SCOPED_TRACE(preset + " x" + std::to_string(count));
  if (allowed.empty()) allowed = every_cpu(t);
  const PairAssignment a = assign_pairs(preset, t, allowed, count);
  ASSERT_EQ(a.unavailable, "");
  ASSERT_EQ(a.pairs.size(), static_cast<std::size_t>(count));
  const PresetChoice first = choose_cpus(preset, t, allowed);
  EXPECT_EQ(a.pairs[0], (PairCpus{first.driver_cpu, first.peer_cpu}));
  for (const auto& p : a.pairs) {
    EXPECT_TRUE(related(preset, t, p.driver_cpu, p.peer_cpu))
        << p.driver_cpu << "," << p.peer_cpu;
    EXPECT_NE(std::find(allowed.begin(), allowed.end(), p.driver_cpu),
              allowed.end());
    EXPECT_NE(std::find(allowed.begin(), allowed.end(), p.peer_cpu),
              allowed.end());
  }
  int most = 0;
  for (auto [cpu, n] : uses(a)) most = std::max(most, n);
  EXPECT_EQ(a.oversubscribed, count > fits);
  EXPECT_EQ(most > 1, count > fits);
  EXPECT_EQ(a.distinct_pairs, std::min(count, fits));
  EXPECT_EQ(a.shared_cores, std::min(count, fits) > on_own_cores);
  // Pairs on cores of their own while there are enough.
  if (count <= on_own_cores) {
    std::set<int> cores;
    std::size_t cpus = 0;
    for (const auto& p : a.pairs) {
      cores.insert(t.find(p.driver_cpu)->core);
      cores.insert(t.find(p.peer_cpu)->core);
      cpus += (preset == "same" || preset == "smt") ? 1 : 2;
    }
    EXPECT_EQ(cores.size(), cpus);
  }
}

TEST(PairAssignment, TwoPackagesOfSmtCoresInFourL3s) {
  // 2 packages x 2 L3s x 4 cores x 2 threads: 16 cores, 32 CPUs.
  const Topology t =
      Topology::from_synthetic("package:2 l3cache:2 core:4 pu:2");
  for (int n : {1, 2, 8, 9, 16, 17, 20}) {
    expect_pairs("cross", t, n, 16, 8);
    expect_pairs("core", t, n, 16, 8);
    expect_pairs("l3", t, n, 16, 8);
    expect_pairs("smt", t, n, 16, 16);
  }
  for (int n : {1, 16, 17, 32, 33}) expect_pairs("same", t, n, 32, 16);
  // The first pairs, as the relation picks them: the lowest free cores.
  const PairAssignment core = assign_pairs("core", t, every_cpu(t), 3);
  EXPECT_EQ(core.pairs, (std::vector<PairCpus>{{0, 2}, {4, 6}, {8, 10}}));
  const PairAssignment l3 = assign_pairs("l3", t, every_cpu(t), 2);
  EXPECT_EQ(l3.pairs, (std::vector<PairCpus>{{0, 8}, {2, 10}}));
  EXPECT_EQ(assign_pairs("numa", t, every_cpu(t), 2).unavailable,
            "only one NUMA node on this machine");
}

TEST(PairAssignment, SixteenSingleThreadCores) {
  const Topology t = Topology::from_synthetic("core:16 pu:1");
  for (int n : {1, 4, 8, 9, 12}) expect_pairs("cross", t, n, 8, 8);
  for (int n : {1, 16, 17}) expect_pairs("same", t, n, 16, 16);
  const PairAssignment a = assign_pairs("cross", t, every_cpu(t), 4);
  EXPECT_EQ(a.pairs, (std::vector<PairCpus>{{0, 1}, {2, 3}, {4, 5}, {6, 7}}));
  EXPECT_FALSE(a.oversubscribed);
  EXPECT_EQ(assign_pairs("smt", t, every_cpu(t), 2).unavailable,
            "no SMT on this machine: every core has one hardware thread");
}

TEST(PairAssignment, OnlyTheAllowedCpusCount) {
  const Topology t = Topology::from_synthetic("core:16 pu:1");
  expect_pairs("cross", t, 2, 2, 2, {3, 4, 5, 6});
  expect_pairs("cross", t, 3, 2, 2, {3, 4, 5, 6});
}

TEST(PairAssignment, TwoCpusLikeThisVm) {
  const Topology t = Topology::from_synthetic("core:2 pu:1");
  expect_pairs("cross", t, 1, 1, 1);
  expect_pairs("cross", t, 2, 1, 1);
  const PairAssignment a = assign_pairs("cross", t, {0, 1}, 3);
  EXPECT_EQ(a.pairs, (std::vector<PairCpus>{{0, 1}, {0, 1}, {0, 1}}));
  EXPECT_TRUE(a.oversubscribed);
  // One CPU per pair: two pairs fit, each on a CPU of its own.
  const PairAssignment same = assign_pairs("same", t, {0, 1}, 2);
  EXPECT_EQ(same.pairs, (std::vector<PairCpus>{{0, 0}, {1, 1}}));
  EXPECT_FALSE(same.oversubscribed);
  expect_pairs("same", t, 3, 2, 2);
}

TEST(PairAssignment, NumaPairsAcrossTheSockets) {
  const Topology t =
      Topology::from_synthetic("package:2 [numa] l3cache:1 core:2 pu:2");
  for (int n : {1, 2, 3, 4, 5}) expect_pairs("numa", t, n, 4, 2);
  const PairAssignment a = assign_pairs("numa", t, every_cpu(t), 4);
  EXPECT_EQ(a.pairs, (std::vector<PairCpus>{{0, 4}, {2, 6}, {1, 5}, {3, 7}}));
}

TEST(PairAssignment, ExplicitCpusGiveTheirRelationToFurtherPairs) {
  const Topology t =
      Topology::from_synthetic("package:2 l3cache:2 core:4 pu:2");
  // 0 and 2 share an L3: so does every further pair.
  const PairAssignment a = assign_pairs_like({2, 0}, t, every_cpu(t), 3);
  ASSERT_EQ(a.pairs.size(), 3u);
  EXPECT_EQ(a.pairs[0], (PairCpus{2, 0}));
  for (const auto& p : a.pairs)
    EXPECT_EQ(shared_level(t, p.driver_cpu, p.peer_cpu), "L3");
  EXPECT_FALSE(a.oversubscribed);
}

void expect_fanin(const std::string& preset, const Topology& t, int producers,
                  int fits, int on_own_cores) {
  SCOPED_TRACE(preset + " x" + std::to_string(producers));
  const FaninAssignment a = assign_fanin(preset, t, every_cpu(t), producers);
  ASSERT_EQ(a.unavailable, "");
  ASSERT_EQ(a.producer_cpus.size(), static_cast<std::size_t>(producers));
  const PresetChoice first = choose_cpus(preset, t, every_cpu(t));
  EXPECT_EQ(a.consumer_cpu, first.driver_cpu);
  EXPECT_EQ(a.producer_cpus[0], first.peer_cpu);
  std::map<int, int> n;
  for (int c : a.producer_cpus) ++n[c];
  int most = 0;
  for (auto [cpu, k] : n) most = std::max(most, k);
  EXPECT_EQ(a.oversubscribed, producers > fits);
  EXPECT_EQ(most > 1, producers > fits);
  EXPECT_EQ(a.shared_cores, std::min(producers, fits) > on_own_cores);
  if (producers <= on_own_cores) {
    std::set<int> cores = {t.find(a.consumer_cpu)->core};
    for (int c : a.producer_cpus) cores.insert(t.find(c)->core);
    EXPECT_EQ(cores.size(), a.producer_cpus.size() + 1);
  }
}

TEST(FaninAssignment, ProducersOnCoresOfTheirOwn) {
  const Topology t = Topology::from_synthetic("core:16 pu:1");
  for (int p : {1, 2, 4, 15, 16, 20}) expect_fanin("cross", t, p, 15, 15);
  const FaninAssignment a = assign_fanin("cross", t, every_cpu(t), 4);
  EXPECT_EQ(a.consumer_cpu, 0);
  EXPECT_EQ(a.producer_cpus, (std::vector<int>{1, 2, 3, 4}));
}

TEST(FaninAssignment, SmtMachineUsesSiblingsOnlyWhenCoresRunOut) {
  const Topology t =
      Topology::from_synthetic("package:2 l3cache:2 core:4 pu:2");
  for (int p : {1, 8, 15, 16, 31, 32}) expect_fanin("cross", t, p, 31, 15);
  // l3: further producers first in another L3 than the consumer's.
  const FaninAssignment a = assign_fanin("l3", t, every_cpu(t), 3);
  EXPECT_EQ(a.consumer_cpu, 0);
  EXPECT_EQ(a.producer_cpus, (std::vector<int>{8, 10, 12}));
}

TEST(FaninAssignment, NumaPrefersTheOtherNodeThenAnyFreeCore) {
  const Topology t =
      Topology::from_synthetic("package:2 [numa] l3cache:1 core:2 pu:2");
  const FaninAssignment a = assign_fanin("numa", t, every_cpu(t), 4);
  EXPECT_EQ(a.consumer_cpu, 0);
  EXPECT_EQ(a.producer_cpus, (std::vector<int>{4, 6, 2, 1}));
  EXPECT_TRUE(a.shared_cores);
  EXPECT_FALSE(a.oversubscribed);
}

TEST(FaninAssignment, TwoCpusLikeThisVm) {
  const Topology t = Topology::from_synthetic("core:2 pu:1");
  expect_fanin("cross", t, 1, 1, 1);
  expect_fanin("cross", t, 2, 1, 1);
  const FaninAssignment a = assign_fanin("cross", t, {0, 1}, 3);
  EXPECT_EQ(a.producer_cpus, (std::vector<int>{1, 1, 1}));
  EXPECT_TRUE(a.oversubscribed);
}

}  // namespace
}  // namespace ipcb::harness
