// --placement against this machine's topology: presets it lacks are
// recorded as skipped with their reason, `all` sweeps every preset, and the
// results record what the two CPUs share.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bench/options.hpp"
#include "harness/cpu.hpp"
#include "harness/topology.hpp"
#include "test_util.hpp"

namespace ipcb {
namespace {

using testing::count_lines;
using testing::run_ipcbench;
using testing::ScratchDir;

// The preset's choice on this machine, with the CPUs this process may use.
harness::PresetChoice here(const std::string& preset) {
  return harness::choose_cpus(preset, harness::machine_topology(),
                              harness::initial_cpus());
}

TEST(Placement, AllListsEveryPresetAndWhichThisMachineLacks) {
  const bench::Options o = bench::parse_options({"--placement=all"});
  const auto& presets = harness::placement_presets();
  ASSERT_EQ(o.placements.size(), presets.size());
  for (std::size_t i = 0; i < presets.size(); ++i) {
    const harness::Placement& p = o.placements[i];
    EXPECT_EQ(p.preset, presets[i]);
    EXPECT_EQ(p.unavailable, here(presets[i]).unavailable) << p.preset;
    EXPECT_EQ(p.driver_cpu, here(presets[i]).driver_cpu) << p.preset;
    if (p.unavailable.empty()) {
      EXPECT_EQ(p.shares, harness::shared_level(harness::machine_topology(),
                                                p.driver_cpu, p.peer_cpu));
    } else {
      EXPECT_EQ(p.driver_cpu, -1);
      EXPECT_EQ(p.shares, "");
    }
  }
  EXPECT_EQ(o.placements.front().shares, "CPU");  // same
}

TEST(Placement, TheRunsPlacementIsTheFirstThisMachineCanGive) {
  if (here("smt").unavailable.empty() || !here("cross").unavailable.empty())
    GTEST_SKIP() << "needs a machine without SMT and with two cores";
  const bench::Options o = bench::parse_options({"--placement=smt,cross"});
  EXPECT_EQ(o.placement.preset, "cross");
  EXPECT_EQ(o.placement.driver_cpu, here("cross").driver_cpu);
  EXPECT_EQ(bench::parse_options({"--placement=smt"}).placement.preset, "smt");
}

TEST(Placement, AllStandsAlone) {
  try {
    bench::parse_options({"--placement=all,0:1"});
    FAIL() << "all,0:1 accepted";
  } catch (const bench::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("all stands alone"), std::string::npos)
        << e.what();
  }
}

TEST(Placement, ExistingSpellingsKeepTheirMeaningHere) {
  const auto& cpus = harness::initial_cpus();
  const auto& topo = harness::machine_topology();
  const harness::Placement same = harness::resolve_placement("same", cpus);
  EXPECT_EQ(same.driver_cpu, cpus.front());
  EXPECT_EQ(same.peer_cpu, cpus.front());
  EXPECT_EQ(same.sharing, "same CPU");
  const harness::Placement none = harness::resolve_placement("none", cpus);
  EXPECT_EQ(none.driver_cpu, -1);
  EXPECT_EQ(none.shares, "");
  if (cpus.size() >= 2) {
    const std::string spec =
        std::to_string(cpus[1]) + "," + std::to_string(cpus[0]);
    const harness::Placement custom = harness::resolve_placement(spec, cpus);
    EXPECT_EQ(custom.name(),
              std::to_string(cpus[1]) + ":" + std::to_string(cpus[0]));
    EXPECT_EQ(custom.shares, harness::shared_level(topo, cpus[1], cpus[0]));
  }
  // cross: two different cores, or (the default only) a recorded fallback.
  const harness::Placement def = harness::resolve_placement("", cpus);
  const harness::PresetChoice cross = here("cross");
  if (cross.unavailable.empty()) {
    EXPECT_EQ(def.preset, "cross");
    EXPECT_EQ(def.note, "");
    EXPECT_NE(topo.find(def.driver_cpu)->core, topo.find(def.peer_cpu)->core);
  } else {
    EXPECT_NE(def.note.find(cross.unavailable), std::string::npos);
    EXPECT_EQ(harness::resolve_placement("cross", cpus).unavailable,
              cross.unavailable);
  }
}

TEST(Placement, DefaultFallsBackWithANoteWhereCrossCannotRun) {
  const auto t = harness::Topology::from_synthetic("core:1 pu:2");
  const harness::Placement def = harness::resolve_placement("", t, {0, 1});
  EXPECT_EQ(def.preset, "smt");
  EXPECT_EQ(def.driver_cpu, 0);
  EXPECT_EQ(def.peer_cpu, 1);
  EXPECT_EQ(def.note,
            "cross cannot run here (only one core on this machine: cross "
            "needs two different cores (its hardware threads are SMT "
            "siblings: --placement=smt)): both sides on SMT siblings 0,1 "
            "instead (placement smt)");
  const harness::Placement one = harness::resolve_placement("", t, {1});
  EXPECT_EQ(one.preset, "same");
  EXPECT_EQ(one.driver_cpu, 1);
  EXPECT_NE(one.note.find("both sides on one CPU, 1 instead"),
            std::string::npos)
      << one.note;
  // Asked for by name, cross is not replaced.
  const harness::Placement cross =
      harness::resolve_placement("cross", t, {0, 1});
  EXPECT_EQ(cross.driver_cpu, -1);
  EXPECT_NE(cross.unavailable, "");
  EXPECT_EQ(cross.describe(), "cross unavailable: " + cross.unavailable);
}

std::vector<std::string> small_run(const std::string& placement,
                                   const std::string& out) {
  return {"--transports=pipe",
          "--sizes=64",
          "--scenarios=pingpong",
          "--baselines=none",
          "--benchmark_min_time=0.01",
          "--placement=" + placement,
          "--out=" + out};
}

TEST(Placement, CliSkipsAPresetThisMachineLacksWithItsReason) {
  const harness::PresetChoice smt = here("smt");
  if (smt.unavailable.empty()) GTEST_SKIP() << "this machine has SMT";
  ScratchDir dir;
  const std::string out = dir.path + "/results.json";
  auto r = run_ipcbench(small_run("smt", out));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::string line =
      "ipcbench: warning: placement smt skipped: " + smt.unavailable + "\n";
  EXPECT_NE(r.err.find(line), std::string::npos) << r.err;
  auto doc = testing::load_results(out);
  const auto& ib = doc["ipcbench"];
  ASSERT_EQ(ib["skipped"].size(), 1u) << ib["skipped"];
  EXPECT_EQ(ib["skipped"][0]["name"], "pingpong/pipe/64");
  EXPECT_EQ(ib["skipped"][0]["reason"], "placement smt: " + smt.unavailable);
  ASSERT_EQ(ib["benchmarks"].size(), 1u);
  const auto& rec = ib["benchmarks"][0];
  EXPECT_EQ(rec["placement"]["preset"], "smt");
  EXPECT_EQ(rec["placement"]["unavailable"], smt.unavailable);
  EXPECT_EQ(rec["skipped"], "placement smt: " + smt.unavailable);
}

TEST(Placement, CliAllRunsWhatThisMachineHasAndRecordsTheRest) {
  ScratchDir dir;
  const std::string out = dir.path + "/results.json";
  auto r = run_ipcbench(small_run("all", out));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto doc = testing::load_results(out);
  const auto& ib = doc["ipcbench"];
  const auto& presets = harness::placement_presets();
  ASSERT_EQ(ib["benchmarks"].size(), presets.size());
  std::size_t lacking = 0;
  for (std::size_t i = 0; i < presets.size(); ++i) {
    const auto& rec = ib["benchmarks"][i];
    const harness::PresetChoice c = here(presets[i]);
    EXPECT_EQ(rec["name"], "pingpong/pipe/64/" + presets[i]);
    EXPECT_EQ(rec["placement"]["preset"], presets[i]);
    if (c.unavailable.empty()) {
      EXPECT_FALSE(rec.contains("skipped")) << rec["skipped"];
      EXPECT_EQ(rec["placement"]["driver_cpu"], c.driver_cpu);
      EXPECT_EQ(rec["placement"]["peer_cpu"], c.peer_cpu);
      EXPECT_EQ(rec["placement"]["shares"],
                harness::shared_level(harness::machine_topology(), c.driver_cpu,
                                      c.peer_cpu));
      EXPECT_TRUE(rec["placement"].contains("driver_topology"));
      EXPECT_GT(rec["latency"]["count"].get<int>(), 0);
    } else {
      ++lacking;
      EXPECT_EQ(rec["skipped"],
                "placement " + presets[i] + ": " + c.unavailable);
    }
  }
  EXPECT_EQ(ib["skipped"].size(), lacking);
  EXPECT_EQ(count_lines(r.err) >= static_cast<int>(lacking), true) << r.err;
}

}  // namespace
}  // namespace ipcb
