// The environment a run records beyond Google Benchmark's context: steal
// time over the run, every allowed CPU's frequency governor, the cpuidle
// governor and the CPU-vulnerability mitigations, on known inputs.
#include "harness/environment.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "test_util.hpp"

namespace ipcb {
namespace {

using testing::ScratchDir;

// /proc/stat of a 4-CPU machine: user nice system idle iowait irq softirq
// steal guest guest_nice.
constexpr const char* kProcStat =
    "cpu  100 0 50 1000 0 0 0 60 0 0\n"
    "cpu0 10 0 5 100 0 0 0 1 0 0\n"
    "cpu1 20 1 5 200 2 1 1 10 7 0\n"
    "cpu2 30 0 20 300 0 0 0 20 0 0\n"
    "cpu12 40 0 20 400 0 0 0 29 0 0\n"
    "intr 12345 0 0\n"
    "ctxt 999\n";

TEST(Environment, CpuTimesSumTheAskedCpusLinesOnly) {
  auto t = harness::parse_cpu_times(kProcStat, {1, 12});
  EXPECT_EQ(t.cpus_found, 2);
  EXPECT_EQ(t.steal, 10 + 29);
  // guest (7) is already inside user: not added again
  EXPECT_EQ(t.total, (20 + 1 + 5 + 200 + 2 + 1 + 1 + 10) +
                         (40 + 0 + 20 + 400 + 0 + 0 + 0 + 29));
  EXPECT_EQ(harness::parse_cpu_times(kProcStat, {3}).cpus_found, 0);
  EXPECT_EQ(harness::parse_cpu_times("cpu0 1 2 3\n", {0}).cpus_found, 0);
}

TEST(Environment, StealOverTheRunIsTheDifferenceOfTwoReadings) {
  harness::CpuTimes start{10, 1000, 2}, end{40, 1600, 2};
  auto steal = harness::steal_between({0, 1}, start, end);
  EXPECT_EQ(steal["cpus"], (nlohmann::json{0, 1}));
  EXPECT_EQ(steal["steal_ticks"], 30);
  EXPECT_EQ(steal["total_ticks"], 600);
  EXPECT_DOUBLE_EQ(steal["steal_fraction"].get<double>(), 0.05);
  auto w = harness::steal_warning(steal);
  ASSERT_TRUE(w.has_value());
  EXPECT_NE(w->find("5.0 % of the measured CPUs' time"), std::string::npos)
      << *w;
  // 2 % is tolerated; no time passed is no steal
  EXPECT_FALSE(harness::steal_warning(
      harness::steal_between({0}, {0, 0, 1}, {2, 100, 1})));
  auto none = harness::steal_between({0}, start, start);
  EXPECT_EQ(none["steal_fraction"], 0.0);
  EXPECT_FALSE(harness::steal_warning(none));
}

TEST(Environment, EveryCpusGovernorIsCheckedNotOnlyCpu0s) {
  nlohmann::ordered_json env = {
      {"affinity_cpus", {0, 1, 2}},
      {"scaling_governor", "performance"},
      {"scaling_governors",
       {{"0", "performance"}, {"1", "powersave"}, {"2", "powersave"}}}};
  auto w = harness::environment_warnings(env);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].rfind("CPU frequency governor is 'powersave' on CPU 1,2, "
                       "not 'performance'",
                       0),
            0u)
      << w[0];
  env["scaling_governors"]["1"] = "performance";
  env["scaling_governors"]["2"] = "performance";
  EXPECT_TRUE(harness::environment_warnings(env).empty());
  // a file without the per-CPU map: CPU 0's governor, as before
  env.erase("scaling_governors");
  env["scaling_governor"] = "ondemand";
  w = harness::environment_warnings(env);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("'ondemand' on CPU 0"), std::string::npos) << w[0];
}

TEST(Environment, MitigationsAreEveryFileOfTheDirectory) {
  ScratchDir dir;
  std::ofstream(dir.path + "/spectre_v2") << "Mitigation: Retpolines\n";
  std::ofstream(dir.path + "/meltdown") << "Not affected\n";
  EXPECT_EQ(harness::files_of(dir.path),
            (nlohmann::ordered_json{{"meltdown", "Not affected"},
                                    {"spectre_v2", "Mitigation: Retpolines"}}));
  EXPECT_EQ(harness::files_of(dir.path + "/missing"),
            nlohmann::ordered_json::object());
}

TEST(Environment, ARunRecordsItsStealTimeAndMachineState) {
  ScratchDir dir;
  const std::string out = dir.path + "/r.json";
  auto r = testing::run_ipcbench({"--transports=pipe", "--sizes=64",
                                  "--scenarios=pingpong", "--baselines=none",
                                  "--benchmark_min_time=0.01", "--out=" + out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(testing::slurp(out));
  const auto& ib = doc["ipcbench"];
  EXPECT_EQ(ib["cpu_steal"]["cpus"], ib["environment"]["affinity_cpus"]);
  EXPECT_GT(ib["cpu_steal"]["total_ticks"].get<long long>(), 0);
  EXPECT_GE(ib["cpu_steal"]["steal_fraction"].get<double>(), 0.0);
  EXPECT_TRUE(ib["environment"]["scaling_governors"].is_object());
  EXPECT_TRUE(ib["environment"]["cpuidle"].contains("governor"));
  EXPECT_EQ(ib["environment"]["mitigations"],
            harness::files_of("/sys/devices/system/cpu/vulnerabilities"));
  const auto& topo = ib["environment"]["topology"];
  EXPECT_EQ(topo["allowed"]["pus"], ib["environment"]["affinity_cpus"].size());
  EXPECT_EQ(topo["cpus"].size(), ib["environment"]["affinity_cpus"].size());
}

TEST(Environment, TopologyCountsEveryLevelOfASyntheticServer) {
  const auto topo = harness::Topology::from_synthetic(
      "package:2 numa:1 l3cache:2 core:4 pu:2");
  // All 32 hardware threads allowed.
  std::vector<int> all;
  for (int i = 0; i < 32; ++i) all.push_back(i);
  const auto j = harness::topology_json(topo, all);
  EXPECT_EQ(j["machine"]["packages"], 2);
  EXPECT_EQ(j["machine"]["numa_nodes"], 2);
  EXPECT_EQ(j["machine"]["l3_domains"], 4);
  EXPECT_EQ(j["machine"]["cores"], 16);
  EXPECT_EQ(j["machine"]["pus"], 32);
  EXPECT_EQ(j["smt"], 2);
  EXPECT_EQ(j["allowed"], j["machine"]);
  // Only the first package's first L3 domain allowed: 4 cores, 8 threads.
  const auto part = harness::topology_json(topo, {0, 1, 2, 3, 4, 5, 6, 7});
  EXPECT_EQ(part["allowed"]["packages"], 1);
  EXPECT_EQ(part["allowed"]["numa_nodes"], 1);
  EXPECT_EQ(part["allowed"]["l3_domains"], 1);
  EXPECT_EQ(part["allowed"]["cores"], 4);
  EXPECT_EQ(part["allowed"]["pus"], 8);
  EXPECT_EQ(part["cpus"].size(), 8u);
  EXPECT_EQ(part["cpus"][1]["core"], part["cpus"][0]["core"]);
  EXPECT_NE(part["cpus"][2]["core"], part["cpus"][0]["core"]);
  // No SMT: one thread per core.
  EXPECT_EQ(
      harness::topology_json(harness::Topology::from_synthetic("core:4 pu:1"),
                             {0, 1, 2, 3})["smt"],
      1);
}

}  // namespace
}  // namespace ipcb
