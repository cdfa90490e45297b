// The suites (default, --full, --quick) and --budget: the budget planner
// on known inputs (bench/budget.hpp), the options each suite sets, and the
// benchmark lists ipcbench plans for each (--benchmark_list_tests). No test
// asserts a duration.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "bench/budget.hpp"
#include "bench/options.hpp"
#include "bench/plan.hpp"
#include "test_util.hpp"

namespace ipcb::bench {
namespace {

using testing::count_lines;
using testing::run_ipcbench;
using testing::ScratchDir;

// n measured cases, each starting a peer.
std::vector<PlannedBenchmark> cases(std::size_t n) {
  std::vector<PlannedBenchmark> plan;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string name = "pingpong/pipe/" + std::to_string(i);
    plan.push_back({name, name + "/manual_time", 0, false, true});
  }
  return plan;
}

TEST(Budget, SharesWhatIsLeftAfterTheOverheadEqually) {
  const PlanTiming t{0.5, 0, 1};
  const double budget = 600;
  const BudgetPlan p = plan_budget(cases(100), t, budget);
  const double exact = (budget - 100 * kCaseOverheadS) / (100 * kMinTimeFactor);
  EXPECT_EQ(p.benchmarks, 100u);
  EXPECT_EQ(p.skipped, 0u);
  EXPECT_DOUBLE_EQ(p.budget_s, budget);
  // Rounded down to three significant digits: within budget, within 1 %.
  EXPECT_LE(p.min_time_s, exact);
  EXPECT_GT(p.min_time_s, exact * 0.99);
  EXPECT_LE(p.planned_s, budget);
  EXPECT_GT(p.planned_s, budget * 0.99);
}

TEST(Budget, SkippedCasesCostNothingAndBaselinesNoOverhead) {
  const PlanTiming t{0.5, 0, 1};
  std::vector<PlannedBenchmark> plan = cases(10);
  plan[0].skipped = true;
  plan.push_back(
      {"baseline/memcpy/64", "baseline/memcpy/64/real_time", 0, false, false});
  const BudgetPlan p = plan_budget(plan, t, 100);
  EXPECT_EQ(p.benchmarks, 10u);  // 9 cases and the baseline
  EXPECT_EQ(p.skipped, 1u);
  const double exact = (100 - 9 * kCaseOverheadS) / (10 * kMinTimeFactor);
  EXPECT_LE(p.min_time_s, exact);
  EXPECT_GT(p.min_time_s, exact * 0.99);
}

TEST(Budget, RepetitionsAndWarmupCountInEveryRun) {
  const PlanTiming t{0.5, 0.1, 3};
  const BudgetPlan p = plan_budget(cases(10), t, 1000);
  const double exact = (1000 - 30 * (kCaseOverheadS + kMinTimeFactor * 0.1)) /
                       (30 * kMinTimeFactor);
  EXPECT_LE(p.min_time_s, exact);
  EXPECT_GT(p.min_time_s, exact * 0.99);
}

TEST(Budget, TooSmallNamesTheBudgetThatWouldDo) {
  const PlanTiming t{0.5, 0, 1};
  const double needed =
      std::ceil(100 * (kCaseOverheadS + kMinTimeFactor * kMinBudgetMinTimeS));
  EXPECT_DOUBLE_EQ(budget_needed(cases(100), t, kMinBudgetMinTimeS), needed);
  try {
    plan_budget(cases(100), t, needed - 1);
    FAIL() << "a budget below the floor was accepted";
  } catch (const BudgetTooSmall& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("100 benchmarks"), std::string::npos) << what;
    EXPECT_NE(what.find("--budget=" + budget_text(needed) + " or more"),
              std::string::npos)
        << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  // The budget it names is enough.
  EXPECT_GE(plan_budget(cases(100), t, needed).min_time_s,
            kMinBudgetMinTimeS * 0.99);
}

TEST(Budget, NothingToRunNeedsNoTime) {
  const BudgetPlan p = plan_budget({}, PlanTiming{}, 1);
  EXPECT_EQ(p.benchmarks, 0u);
  EXPECT_DOUBLE_EQ(p.planned_s, 0);
}

TEST(Budget, PlanWithoutBudgetUsesTheGivenMinTime) {
  const BudgetPlan p = plan_without_budget(cases(4), PlanTiming{0.25, 0, 2});
  EXPECT_DOUBLE_EQ(p.min_time_s, 0.25);
  EXPECT_DOUBLE_EQ(p.budget_s, 0);
  EXPECT_DOUBLE_EQ(p.planned_s, 8 * (kCaseOverheadS + kMinTimeFactor * 0.25));
  EXPECT_NE(plan_text(p).find("plan: 4 benchmarks, about "), std::string::npos)
      << plan_text(p);
}

TEST(Budget, DurationsParseAndPrint) {
  EXPECT_DOUBLE_EQ(parse_budget("90s"), 90);
  EXPECT_DOUBLE_EQ(parse_budget("90"), 90);
  EXPECT_DOUBLE_EQ(parse_budget("10m"), 600);
  EXPECT_DOUBLE_EQ(parse_budget("1h"), 3600);
  EXPECT_DOUBLE_EQ(parse_budget("1m30s"), 90);
  EXPECT_DOUBLE_EQ(parse_budget("2.5m"), 150);
  for (std::string bad :
       {"", "0", "0s", "-5", "10x", "m", "1m30", "1e3", "10 m", "9999h"}) {
    EXPECT_THROW(parse_budget(bad), std::invalid_argument) << bad;
  }
  EXPECT_EQ(budget_text(90), "1m30s");
  EXPECT_EQ(budget_text(600), "10m");
  EXPECT_EQ(budget_text(45.2), "46s");
  EXPECT_EQ(budget_text(3725), "1h2m5s");
  for (double s : {45.2, 90.0, 600.0, 3725.0})
    EXPECT_DOUBLE_EQ(parse_budget(budget_text(s)), std::ceil(s));
}

std::string error_of(const std::vector<std::string>& args) {
  try {
    parse_options(args);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(Suite, OptionsOfEachSuite) {
  const Options def = parse_options({});
  EXPECT_EQ(def.suite, Suite::kDefault);
  EXPECT_EQ(sizes_for(def, "pingpong"),
            (std::vector<std::size_t>{64, 4096, 65536, 1048576}));
  EXPECT_EQ(sizes_for(def, "stream"), sizes_for(def, "pingpong"));
  for (const char* s : {"oneway", "rate", "fanin", "fanout"})
    EXPECT_EQ(sizes_for(def, s), (std::vector<std::size_t>{64, 4096})) << s;
  EXPECT_EQ(def.sizes, (std::vector<std::size_t>{64, 4096, 65536, 1048576}));
  EXPECT_EQ(def.producers, (std::vector<int>{1, 2}));
  EXPECT_EQ(def.consumers, (std::vector<int>{1, 2, 4}));

  const Options full = parse_options({"--full"});
  EXPECT_EQ(full.suite, Suite::kFull);
  EXPECT_EQ(sizes_for(full, "fanin").size(), 8u);
  EXPECT_EQ(full.producers, (std::vector<int>{1, 2, 4}));
  EXPECT_TRUE(full.passthrough.empty());  // Google Benchmark's 0.5 s

  const Options quick = parse_options({"--quick"});
  EXPECT_EQ(quick.scenarios, (std::vector<std::string>{"pingpong", "stream"}));
  EXPECT_EQ(sizes_for(quick, "pingpong"), (std::vector<std::size_t>{64}));
  EXPECT_EQ(sizes_for(quick, "stream"), (std::vector<std::size_t>{65536}));
  EXPECT_EQ(quick.sizes, (std::vector<std::size_t>{64, 65536}));
  EXPECT_EQ(gb_setting(quick.passthrough, "--benchmark_min_time", ""), "0.05");
  // Flags given explicitly win over the suite's.
  const Options mine = parse_options(
      {"--quick", "--benchmark_min_time=0.2", "--scenarios=rate"});
  EXPECT_EQ(mine.passthrough,
            (std::vector<std::string>{"--benchmark_min_time=0.2"}));
  EXPECT_EQ(mine.scenarios, (std::vector<std::string>{"rate"}));
  EXPECT_EQ(sizes_for(mine, "rate"), (std::vector<std::size_t>{64}));
  EXPECT_EQ(gb_setting(def.passthrough, "--benchmark_min_time", ""), "0.1");
  EXPECT_EQ(gb_setting(parse_options({"--budget=1h"}).passthrough,
                       "--benchmark_min_time", ""),
            "");  // set once the plan is known (apply_budget)
}

// Each extra peer and a rate case's capacity measurement are planned.
TEST(Suite, PlanCountsExtraPeersAndTheCapacityRun) {
  const Options opt =
      parse_options({"--transports=shm_ring,pipe", "--wait=block", "--sizes=64",
                     "--scenarios=fanout,fanin,rate,pingpong",
                     "--consumers=1,4", "--producers=1,2", "--rate=50%",
                     "--baselines=none", "--benchmark_min_time=0.1"});
  std::map<std::string, const PlannedBenchmark*> by;
  const auto plan = planned_benchmarks(opt);
  for (const auto& b : plan) by[b.name] = &b;
  auto run_s = [&](const std::string& name) {
    EXPECT_TRUE(by.count(name)) << name;
    return by.count(name) ? by[name]->run_s : -1;
  };
  const double base = run_s("pingpong/shm_ring:block/64");
  EXPECT_DOUBLE_EQ(base, kMinTimeFactor * 0.1 + kCaseOverheadS);
  EXPECT_DOUBLE_EQ(run_s("fanout/shm_ring:block/64/1_consumers"), base);
  EXPECT_DOUBLE_EQ(run_s("fanout/shm_ring:block/64/4_consumers"),
                   base + 3 * kExtraPeerS);
  EXPECT_DOUBLE_EQ(run_s("fanin/pipe/64/2_producers"), base + kExtraPeerS);
  EXPECT_DOUBLE_EQ(run_s("rate/pipe/64/50pct"), base + kRateCapacityS);
  const Options by_rate = parse_options(
      {"--transports=pipe", "--sizes=64", "--scenarios=rate", "--rate=10K",
       "--baselines=none", "--benchmark_min_time=0.1"});
  const auto fixed = planned_benchmarks(by_rate);
  ASSERT_EQ(fixed.size(), 1u);
  EXPECT_EQ(fixed[0].name, "rate/pipe/64/10000_per_s");
  EXPECT_DOUBLE_EQ(fixed[0].run_s, base);  // no capacity to measure
  // pipe cannot broadcast: its fan-out is skipped and costs nothing
  EXPECT_DOUBLE_EQ(run_s("fanout/pipe/64/4_consumers"), 0);
}

TEST(Suite, UserSizesApplyToEveryScenario) {
  for (const char* suite : {"--full", "--quick", "--budget=1h"}) {
    const Options o = parse_options({suite, "--sizes=256,8K"});
    for (const auto& s : o.scenarios)
      EXPECT_EQ(sizes_for(o, s), (std::vector<std::size_t>{256, 8192}))
          << suite << " " << s;
  }
  const Options o = parse_options({"--sizes=256", "--producers=3"});
  for (const auto& s : o.scenarios)
    EXPECT_EQ(sizes_for(o, s), (std::vector<std::size_t>{256})) << s;
  EXPECT_EQ(o.producers, (std::vector<int>{3}));
}

TEST(Suite, ConflictingFlagsAreRefused) {
  EXPECT_NE(error_of({"--quick", "--full"}).find("choose one"),
            std::string::npos);
  EXPECT_NE(error_of({"--full=yes"}).find("takes no value"), std::string::npos);
  EXPECT_NE(error_of({"--budget=10m", "--benchmark_min_time=0.1"})
                .find("--budget and --benchmark_min_time"),
            std::string::npos);
  EXPECT_NE(error_of({"--budget=soon"}).find("90s, 10m"), std::string::npos);
  EXPECT_NE(error_of({"--budget="}).find("needs a value"), std::string::npos);
}

// Listing runs nothing: no run directory is left under results/.
TEST(Suite, ListingLeavesNoEmptyRunDirectory) {
  ScratchDir dir;
  const pid_t pid = testing::spawn_ipcbench(
      {"--transports=pipe", "--benchmark_list_tests"}, "/dev/null", dir.path);
  int st = 0;
  ASSERT_EQ(::waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 0);
  EXPECT_TRUE(testing::entries_with_prefix(dir.path + "/results", "2").empty());
}

// The benchmarks ipcbench lists for `args` (pipe only), by name.
std::set<std::string> listed(std::vector<std::string> args) {
  args.insert(args.begin(), {"--transports=pipe", "--benchmark_list_tests"});
  ScratchDir dir;
  args.push_back("--out=" + dir.path + "/r.json");
  const auto r = run_ipcbench(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> names;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    for (const char* kind : {"/manual_time", "/real_time"}) {
      if (const auto at = line.find(kind); at != std::string::npos)
        line.erase(at);
    }
    names.insert(line);
  }
  return names;
}

std::size_t count_prefix(const std::set<std::string>& names,
                         const std::string& prefix) {
  return static_cast<std::size_t>(std::count_if(
      names.begin(), names.end(),
      [&](const std::string& n) { return n.rfind(prefix, 0) == 0; }));
}

TEST(Suite, ListsOfTheDefaultFullAndQuickSuites) {
  const auto def = listed({});
  for (const char* n :
       {"pingpong/pipe/64", "pingpong/pipe/4096", "pingpong/pipe/65536",
        "pingpong/pipe/1048576", "stream/pipe/1048576", "oneway/pipe/4096",
        "rate/pipe/64/10pct", "rate/pipe/4096/90pct",
        "fanin/pipe/4096/2_producers", "baseline/memcpy/1048576"})
    EXPECT_EQ(def.count(n), 1u) << n;
  EXPECT_EQ(count_prefix(def, "pingpong/"), 4u);
  EXPECT_EQ(count_prefix(def, "stream/"), 4u);
  EXPECT_EQ(count_prefix(def, "oneway/"), 2u);
  EXPECT_EQ(count_prefix(def, "rate/"), 6u);   // 2 sizes x 10,50,90%
  EXPECT_EQ(count_prefix(def, "fanin/"), 4u);  // 2 sizes x 1, 2 producers
  // 2 sizes x 1, 2, 4 consumers (listed, and skipped: pipe has no fan-out)
  EXPECT_EQ(count_prefix(def, "fanout/"), 6u);
  EXPECT_EQ(count_prefix(def, "baseline/"), 4u);
  EXPECT_EQ(def.size(), 30u);

  const auto full = listed({"--full"});
  EXPECT_EQ(count_prefix(full, "pingpong/"), 8u);
  EXPECT_EQ(count_prefix(full, "oneway/"), 8u);
  EXPECT_EQ(count_prefix(full, "rate/"), 24u);  // 8 sizes x 3 loads
  EXPECT_EQ(count_prefix(full, "fanin/"), 24u);
  EXPECT_EQ(full.count("fanin/pipe/256/4_producers"), 1u);
  EXPECT_EQ(count_prefix(full, "fanout/"), 24u);  // 8 sizes x 3 counts
  EXPECT_EQ(full.size(), 8u + 8 + 8 + 8 + 24 + 24 + 24);

  const auto quick = listed({"--quick"});
  EXPECT_EQ(quick, (std::set<std::string>{
                       "baseline/memcpy/64", "baseline/memcpy/65536",
                       "pingpong/pipe/64", "stream/pipe/65536"}));
}

TEST(Suite, UserSizesOverrideEachScenariosDefault) {
  const auto names =
      listed({"--sizes=256", "--rate=10K", "--producers=1", "--consumers=2"});
  EXPECT_EQ(names,
            (std::set<std::string>{
                "baseline/memcpy/256", "pingpong/pipe/256", "stream/pipe/256",
                "oneway/pipe/256", "rate/pipe/256/10000_per_s",
                "fanin/pipe/256/1_producers", "fanout/pipe/256/2_consumers"}));
}

TEST(Suite, TooSmallABudgetIsOneLineNamingTheBudgetThatWorks) {
  ScratchDir dir;
  const auto r = run_ipcbench({"--transports=pipe", "--budget=1s",
                               "--out=" + dir.path + "/run/r.json"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_EQ(r.err.rfind("ipcbench: --budget=1s is too small for ", 0), 0u)
      << r.err;
  EXPECT_NE(r.err.find(" or more"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path + "/run"));
}

TEST(Suite, BudgetRunPrintsAndRecordsItsPlan) {
  ScratchDir dir;
  const std::string out = dir.path + "/r.json";
  const auto r =
      run_ipcbench({"--transports=pipe", "--scenarios=pingpong", "--sizes=64",
                    "--baselines=none", "--budget=5s", "--out=" + out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("ipcbench: plan: 1 benchmarks, about "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("(--budget=5s: --benchmark_min_time="),
            std::string::npos)
      << r.err;
  std::ifstream in(out);
  const auto j = nlohmann::json::parse(in);
  const auto& plan = j.at("ipcbench").at("plan");
  EXPECT_EQ(plan.at("suite"), "default");
  EXPECT_DOUBLE_EQ(plan.at("budget_s").get<double>(), 5);
  EXPECT_EQ(plan.at("benchmarks"), 1);
  const double min_time = plan.at("min_time_s").get<double>();
  EXPECT_GE(min_time, kMinBudgetMinTimeS);
  EXPECT_LE(plan.at("planned_s").get<double>(), 5);
  EXPECT_DOUBLE_EQ(plan.at("overhead_s").get<double>(), kCaseOverheadS);
}

}  // namespace
}  // namespace ipcb::bench
