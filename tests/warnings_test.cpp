// The run's configuration warnings are a pure function of the options and
// the facts gathered before the run: each warning appears exactly when its
// condition holds, says what to do, and they come in a fixed order.
#include "bench/warnings.hpp"

#include <gtest/gtest.h>

#include "transports/registry.hpp"

namespace ipcb::bench {
namespace {

harness::Placement placement(const std::string& preset, int driver, int peer) {
  harness::Placement p;
  p.preset = preset;
  p.driver_cpu = driver;
  p.peer_cpu = peer;
  return p;
}

// One pingpong over a blocking pipe on two CPUs: nothing to warn about.
Options quiet() {
  Options o;
  o.transports = {"pipe"};
  o.sizes = {64};
  o.scenarios = {"pingpong"};
  o.waits = {"block", "spin"};
  o.placements = {placement("cross", 0, 1)};
  o.placement = o.placements.front();
  o.rates = {10000};
  o.producers = {1, 2, 4};
  return o;
}

// A machine of hwloc's synthetic description, every CPU allowed.
RunFacts machine(const std::string& description) {
  RunFacts f;
  f.topology = harness::Topology::from_synthetic(description);
  for (const auto& pu : f.topology.pus) f.allowed.push_back(pu.os);
  return f;
}

RunFacts two_cpus() { return machine("core:2 pu:1"); }

bool has(const std::vector<std::string>& w, const std::string& part) {
  for (const auto& line : w)
    if (line.find(part) != std::string::npos) return true;
  return false;
}

TEST(RunWarnings, NoneForAQuietRun) {
  EXPECT_TRUE(run_warnings(quiet(), two_cpus()).empty());
}

TEST(RunWarnings, EnvironmentFirstThenThePlacementsNote) {
  Options o = quiet();
  o.placement.note = "cross fell back to one CPU";
  RunFacts f = two_cpus();
  f.environment = {"governor", "hypervisor"};
  EXPECT_EQ(run_warnings(o, f),
            (std::vector<std::string>{"governor", "hypervisor",
                                      "cross fell back to one CPU"}));
}

TEST(RunWarnings, SpinWaitsOnOneCpuOnlyWhenSpinIsSelectedAndOffered) {
  Options o = quiet();
  o.transports = {"shm_ring"};  // offers spin
  o.placements = {placement("cross", 0, 1), placement("same", 0, 0)};
  const auto w = run_warnings(o, two_cpus());
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("spin waits with both sides on one CPU (same)"),
            std::string::npos);
  EXPECT_NE(w[0].find("use --wait=block"), std::string::npos);
  o.waits = {"block"};
  EXPECT_TRUE(run_warnings(o, two_cpus()).empty());
  o = quiet();  // the pipe has no spin wait
  o.placements = {placement("same", 0, 0)};
  EXPECT_TRUE(run_warnings(o, two_cpus()).empty());
  o.transports = {"shm_ring"};
  o.placements = {placement("none", -1, -1)};  // unpinned: not one CPU
  EXPECT_TRUE(run_warnings(o, two_cpus()).empty());
}

TEST(RunWarnings, PairsOversubscribeOnlyWhenTheirAssignedCpusAreShared) {
  Options o = quiet();
  o.pairs = 2;
  EXPECT_TRUE(run_warnings(o, machine("core:4 pu:1")).empty());
  EXPECT_EQ(run_warnings(o, machine("core:3 pu:1")),
            (std::vector<std::string>{
                "--pairs=2 under placement cross: the allowed CPUs (0,1,2) "
                "give 1 pair(s) CPUs of their own, so pair 1 runs on CPUs 0,1 "
                "with an earlier pair: oversubscribed, so aggregate figures "
                "include scheduling contention"}));
  // Four CPUs allowed of sixteen: pairs 0 and 1 fit, pair 2 does not.
  RunFacts some = machine("core:16 pu:1");
  some.allowed = {4, 5, 6, 7};
  o.pairs = 2;
  EXPECT_TRUE(run_warnings(o, some).empty());
  o.pairs = 3;
  EXPECT_TRUE(has(run_warnings(o, some), "pair 2 runs on CPUs 4,5"));
  // Two SMT cores: pairs of siblings, each pair on a core of its own.
  o.pairs = 2;
  o.placements = {placement("smt", 0, 1)};
  EXPECT_TRUE(run_warnings(o, machine("core:2 pu:2")).empty());
  // One CPU per pair (same): two pairs on two CPUs share none, though
  // four processes run on two CPUs.
  o.placements = {placement("same", 0, 0)};
  EXPECT_TRUE(run_warnings(o, two_cpus()).empty());
  o.pairs = 3;
  EXPECT_TRUE(has(run_warnings(o, two_cpus()), "pair 2 runs on CPUs 0,0"));
  // Unpinned: counted.
  o.pairs = 2;
  o.placements = {placement("none", -1, -1)};
  EXPECT_TRUE(run_warnings(o, machine("core:4 pu:1")).empty());
  EXPECT_EQ(run_warnings(o, machine("core:3 pu:1")),
            (std::vector<std::string>{
                "--pairs=2 runs 4 processes on 3 CPUs: oversubscribed, so "
                "aggregate figures include scheduling contention"}));
}

TEST(RunWarnings, SizesAboveAKernelLimitAreSaidToFragment) {
  const transports::TransportInfo* fragmenting = nullptr;
  for (const auto& t : transports::all_transports())
    if (t.caps.fragment_above_bytes > 0 && !fragmenting) fragmenting = &t;
  ASSERT_NE(fragmenting, nullptr);
  const std::size_t limit = fragmenting->caps.fragment_above_bytes;
  Options o = quiet();
  o.transports = {fragmenting->name};
  o.waits = {"block"};
  o.sizes = {limit};
  EXPECT_TRUE(run_warnings(o, two_cpus()).empty());
  o.sizes = {limit, limit + 1, 2 * limit};
  const auto w = run_warnings(o, two_cpus());
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].rfind(fragmenting->name +
                           ": a kernel limit caps one "
                           "message unit at " +
                           std::to_string(limit) + " B, so messages of " +
                           std::to_string(limit + 1) + ", " +
                           std::to_string(2 * limit) + " B are fragmented",
                       0),
            0u)
      << w[0];
  EXPECT_TRUE(has(w, "raise " + fragmenting->caps.fragment_knob));
}

TEST(RunWarnings, FaninOversubscribesOnlyWhenProducersShareACpu) {
  Options o = quiet();
  o.scenarios = {"pingpong", "fanin"};
  o.producers = {1, 2};
  EXPECT_TRUE(run_warnings(o, machine("core:3 pu:1")).empty());
  EXPECT_EQ(run_warnings(o, two_cpus()),
            (std::vector<std::string>{
                "fanin with up to 2 producers under placement cross: the "
                "allowed CPUs (0,1) give 1 producer(s) a CPU of their own "
                "besides the consumer's (0), so producer 1 shares CPU 1 with "
                "an earlier one: oversubscribed, so producers take turns on "
                "their CPU and the figures include scheduling contention"}));
  // SMT siblings are CPUs of their own: two cores of two threads hold a
  // consumer and three producers.
  o.producers = {3};
  EXPECT_TRUE(run_warnings(o, machine("core:2 pu:2")).empty());
  o.producers = {4};
  EXPECT_TRUE(has(run_warnings(o, machine("core:2 pu:2")),
                  "give 3 producer(s) a CPU of their own"));
  o.scenarios = {"pingpong"};  // the warning is fanin's own
  o.producers = {64};
  EXPECT_TRUE(run_warnings(o, two_cpus()).empty());
}

TEST(RunWarnings, StaleObjectsRemovedAndRefusedComeLast) {
  Options o = quiet();
  o.pairs = 2;
  RunFacts f = two_cpus();
  f.environment = {"env"};
  f.stale_removed = 3;
  f.stale_refused = 1;
  const auto w = run_warnings(o, f);
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[0], "env");
  EXPECT_EQ(w[1].rfind("--pairs=2", 0), 0u);
  EXPECT_EQ(w[2],
            "removed 3 IPC object(s) left by ipcbench runs that died (run "
            "ipcbench --cleanup to see them listed)");
  EXPECT_EQ(w[3].rfind("refused to remove 1 entr(y/ies)", 0), 0u);
  EXPECT_TRUE(has(w, "run ipcbench --cleanup to list them with the reasons"));
}

}  // namespace
}  // namespace ipcb::bench
