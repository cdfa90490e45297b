// The scenario seam: the registry, the plan of cases it yields (names and
// refusals), and a test-only scenario ("nop", tests/nop_scenario.cpp)
// added through the registry from its own file and run end to end by
// ipcbench_nop, with a process peer and with an in-process one.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bench/calibration.hpp"
#include "bench/plan.hpp"
#include "bench/scenarios/registry.hpp"
#include "test_util.hpp"

namespace ipcb {
namespace {

using testing::ScratchDir;
using testing::slurp;

harness::Placement pinned(const std::string& preset, int driver, int peer) {
  harness::Placement p;
  p.preset = preset;
  p.driver_cpu = driver;
  p.peer_cpu = peer;
  return p;
}

bench::Options plan_options() {
  bench::Options o;
  o.transports = {"pipe", "shm_ring"};
  o.sizes = {8, 64};
  o.waits = {"block", "spin"};
  o.placements = {pinned("cross", 0, 1)};
  o.placement = o.placements.front();
  o.rates = {10000, 1e5};
  o.producers = {1, 2};
  return o;
}

std::vector<std::string> names_of(const std::vector<bench::Case>& cases) {
  std::vector<std::string> names;
  for (const auto& c : cases) names.push_back(c.name);
  return names;
}

TEST(ScenarioRegistry, ListsThePublicScenariosInOrder) {
  EXPECT_EQ(bench::scenario_names(),
            (std::vector<std::string>{"pingpong", "stream", "oneway", "rate",
                                      "fanin", "fanout"}));
  const bench::Scenario* conformance = bench::find_scenario("conformance");
  ASSERT_NE(conformance, nullptr);
  EXPECT_FALSE(conformance->listed());
  EXPECT_FALSE(bench::is_scenario("conformance"));
  EXPECT_EQ(bench::find_scenario("nop"), nullptr);  // not in this binary
  EXPECT_THROW(bench::scenario_named("nope"), std::invalid_argument);
  EXPECT_THROW(bench::add_scenario(bench::pingpong_scenario()),
               std::invalid_argument);
}

TEST(ScenarioPlan, NamesEveryCaseAsBefore) {
  bench::Options o = plan_options();
  o.scenarios = {"pingpong", "rate"};
  o.transports = {"shm_ring"};
  o.sizes = {64};
  EXPECT_EQ(names_of(bench::plan_cases(o)),
            (std::vector<std::string>{"pingpong/shm_ring:spin/64",
                                      "pingpong/shm_ring:block/64",
                                      "rate/shm_ring:spin/64/10000_per_s",
                                      "rate/shm_ring:spin/64/100000_per_s",
                                      "rate/shm_ring:block/64/10000_per_s",
                                      "rate/shm_ring:block/64/100000_per_s"}));
  o.scenarios = {"fanin"};
  o.transports = {"pipe"};
  o.placements.push_back(pinned("same", 0, 0));
  o.pairs = 2;
  EXPECT_EQ(
      names_of(bench::plan_cases(o)),
      (std::vector<std::string>{"fanin/pipe/64/1_producers/cross/2_pairs",
                                "fanin/pipe/64/1_producers/same/2_pairs",
                                "fanin/pipe/64/2_producers/cross/2_pairs",
                                "fanin/pipe/64/2_producers/same/2_pairs"}));
}

TEST(ScenarioPlan, VariantsCarryTheirSettingIntoTheRecord) {
  bench::Options o = plan_options();
  o.scenarios = {"rate", "fanin", "pingpong"};
  o.transports = {"pipe"};
  o.sizes = {64};
  const auto cases = bench::plan_cases(o);
  ASSERT_EQ(cases.size(), 5u);
  EXPECT_EQ(cases[0].variant.record,
            (nlohmann::ordered_json{{"offered_rate_per_s", 10000.0}}));
  EXPECT_EQ(cases[0].variant.rate_per_s, 10000.0);
  EXPECT_EQ(cases[3].variant.record,
            (nlohmann::ordered_json{{"producers", 2}}));
  EXPECT_EQ(cases[3].variant.producers, 2);
  EXPECT_TRUE(cases[4].variant.record.empty());
}

TEST(ScenarioPlan, PercentageRatesAreNamedPctAndShareOneCalibration) {
  bench::Options o = plan_options();
  o.scenarios = {"rate"};
  o.transports = {"pipe"};
  o.sizes = {64};
  o.rates.clear();
  o.rate_percents = {10, 12.5, 90};
  o.placements = {pinned("cross", 0, 1), pinned("same", 0, 0)};
  const auto cases = bench::plan_cases(o);
  EXPECT_EQ(names_of(cases),
            (std::vector<std::string>{
                "rate/pipe/64/10pct/cross", "rate/pipe/64/10pct/same",
                "rate/pipe/64/12.5pct/cross", "rate/pipe/64/12.5pct/same",
                "rate/pipe/64/90pct/cross", "rate/pipe/64/90pct/same"}));
  EXPECT_EQ(cases[0].variant.record,
            (nlohmann::ordered_json{{"offered_rate_percent", 10.0}}));
  EXPECT_EQ(cases[2].variant.rate_percent, 12.5);
  EXPECT_EQ(cases[2].variant.rate_per_s, 0.0);
  // One calibration per transport, wait, size, placement and capacity.
  EXPECT_EQ(cases[0].stream_name, "stream/pipe/64/cross");
  EXPECT_EQ(cases[4].stream_name, "stream/pipe/64/cross");
  EXPECT_EQ(cases[5].stream_name, "stream/pipe/64/same");
}

TEST(RateCalibration, OfferedRateIsThePercentageOfTheStreamFigure) {
  EXPECT_EQ(bench::offered_rate(50, 200000), 100000.0);
  EXPECT_EQ(bench::offered_rate(10, 200000), 20000.0);
  EXPECT_EQ(bench::offered_rate(90, 200000), 180000.0);
  EXPECT_EQ(bench::offered_rate(100, 123456), 123456.0);
  EXPECT_DOUBLE_EQ(bench::offered_rate(12.5, 2e6), 250000.0);
}

TEST(RateCalibration, RelativeBlockSaysHowTheOfferedRateRelates) {
  bench::StreamCapacity c;
  c.msgs_per_s = 200000;
  c.source = "calibration: a stream run";
  const auto pct = bench::relative_json(50, 100000, c);
  EXPECT_EQ(pct["asked"], "percent");
  EXPECT_EQ(pct["percent"], 50.0);
  EXPECT_EQ(pct["stream_msgs_per_s"], 200000.0);
  EXPECT_EQ(pct["stream_source"], c.source);
  EXPECT_FALSE(pct.contains("above_capacity"));
  const auto over = bench::relative_json(0, 300000, c);
  EXPECT_EQ(over["asked"], "absolute");
  EXPECT_EQ(over["percent"], 150.0);
  EXPECT_EQ(over["above_capacity"], true);
  EXPECT_EQ(bench::relative_json(0, 20000, c)["above_capacity"], false);
  bench::StreamCapacity failed;
  failed.error = "calibration: stream/pipe/64 failed: boom";
  const auto none = bench::relative_json(0, 1000, failed);
  EXPECT_TRUE(none["percent"].is_null());
  EXPECT_EQ(none["stream_source"], failed.error);
}

TEST(ScenarioPlan, RefusalsNameTheirCause) {
  bench::Options o = plan_options();
  o.scenarios = {"oneway", "fanin", "stream"};
  o.transports = {"shm_ring"};
  o.waits = {"block"};
  const auto cases = bench::plan_cases(o);
  auto reason = [&](const std::string& name) {
    for (const auto& c : cases)
      if (c.name == name) return bench::skip_reason(c, o).value_or("");
    return std::string("no such case");
  };
  EXPECT_EQ(reason("oneway/shm_ring:block/8"),
            "oneway needs messages of at least 16 B to carry timestamps");
  EXPECT_EQ(reason("oneway/shm_ring:block/64"), "");
  EXPECT_EQ(reason("fanin/shm_ring:block/64/1_producers")
                .rfind("fanin is not offered for shm_ring", 0),
            0u);
  o.pairs = 2;
  EXPECT_EQ(reason("oneway/shm_ring:block/64"),
            "--pairs applies to the pingpong and stream scenarios");
  EXPECT_EQ(reason("stream/shm_ring:block/8"), "");
  o.verify = true;
  o.pairs = 1;
  EXPECT_EQ(reason("oneway/shm_ring:block/64"), "");
  o.sizes = {16};
  EXPECT_EQ(bench::skip_reason(bench::plan_cases(o)[0], o).value_or(""),
            "oneway with --verify needs messages of at least 32 B");
}

TEST(ScenarioSeam, ATestScenarioAddedFromItsOwnFileRunsEndToEnd) {
  ScratchDir dir;
  const std::string out = dir.path + "/results.json";
  auto r = testing::run_program(
      IPCBENCH_NOP_PATH, {"--scenarios=nop", "--transports=pipe,inproc",
                          "--sizes=64", "--wait=block", "--baselines=none",
                          "--benchmark_min_time=0.01", "--out=" + out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = testing::load_results(out);
  std::vector<std::string> names;
  for (const auto& b : doc["benchmarks"]) {
    names.push_back(b["name"]);
    EXPECT_EQ(b["nop_constant"], 42) << b["name"];
    EXPECT_TRUE(b.contains("cpu_driver_ns_per_msg")) << b["name"];
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"nop/pipe/64", "nop/inproc:block/64"}));
  for (const auto& rec : doc["ipcbench"]["benchmarks"]) {
    SCOPED_TRACE(rec["name"].get<std::string>());
    EXPECT_FALSE(rec.contains("error"));
    EXPECT_EQ(rec["scenario"], "nop");
    EXPECT_EQ(rec["nop"]["constant"], 42);
    EXPECT_EQ(rec["nop"]["peer"], "served");  // the peer ran the scenario
    EXPECT_TRUE(rec["cpus_observed"].contains("peer"));
    EXPECT_TRUE(rec["cpu"].contains("peer"));
  }
}

TEST(ScenarioSeam, TheTestScenarioIsListedThereAndOnlyThere) {
  auto help = testing::run_program(IPCBENCH_NOP_PATH, {"--help"});
  EXPECT_NE(help.out.find("pingpong, stream, oneway, rate, fanin, fanout, nop"),
            std::string::npos)
      << help.out;
  auto refused = testing::run_ipcbench({"--scenarios=nop"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("unknown scenario 'nop'"), std::string::npos)
      << refused.err;
}

}  // namespace
}  // namespace ipcb
