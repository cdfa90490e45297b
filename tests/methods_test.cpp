// Explanatory texts are kept once, in the results' "methods" block: exact
// references on known records, and a real results file whose every
// reference resolves.
#include "bench/methods.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "test_util.hpp"

namespace ipcb {
namespace {

using nlohmann::ordered_json;

ordered_json record(const std::string& cpu_source) {
  ordered_json rec = ordered_json::parse(R"js({
    "warmup": {"messages": 10, "method": "at least 50 ms"},
    "cpu": {"per": "message"},
    "latency": {"count": 5, "percentiles_missing":
                  {"samples_needed": {"99": 1000}, "rule": "10/(1-p)"}},
    "rate": {"pacing": {"method": "yield", "detail": "sched_yield"},
             "sender_lag": {"percentiles_missing": {"rule": "10/(1-p)"}}},
    "aggregate": {"method": "messages over the span"},
    "transport": "pipe"})js");
  rec["cpu"]["source"] = cpu_source;
  return rec;
}

TEST(Methods, TextsAreKeptOnceAndRecordsNameThem) {
  ordered_json methods;
  ordered_json a = record("loop thread"), b = record("loop thread");
  bench::hoist_methods(a, methods);
  bench::hoist_methods(b, methods);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a["warmup"]["method"], "methods:warmup.method");
  EXPECT_EQ(a["cpu"]["source"], "methods:cpu.source");
  EXPECT_EQ(a["latency"]["percentiles_missing"]["rule"],
            "methods:percentiles_missing.rule");
  EXPECT_EQ(a["rate"]["sender_lag"]["percentiles_missing"]["rule"],
            "methods:percentiles_missing.rule");
  EXPECT_EQ(a["rate"]["pacing"]["detail"], "methods:rate.pacing.detail");
  // Short figures and texts elsewhere stay as they are.
  EXPECT_EQ(a["rate"]["pacing"]["method"], "yield");
  EXPECT_EQ(a["aggregate"]["method"], "messages over the span");
  EXPECT_EQ(a["transport"], "pipe");
  EXPECT_EQ(methods, ordered_json::parse(R"js({
    "warmup.method": "at least 50 ms",
    "cpu.source": "loop thread",
    "percentiles_missing.rule": "10/(1-p)",
    "rate.pacing.detail": "sched_yield"})js"));
}

TEST(Methods, ADifferentTextAtOnePathGetsAKeyOfItsOwn) {
  ordered_json methods;
  ordered_json a = record("loop thread"), b = record("consumer thread");
  bench::hoist_methods(a, methods);
  bench::hoist_methods(b, methods);
  EXPECT_EQ(a["cpu"]["source"], "methods:cpu.source");
  EXPECT_EQ(b["cpu"]["source"], "methods:cpu.source~2");
  EXPECT_EQ(methods["cpu.source"], "loop thread");
  EXPECT_EQ(methods["cpu.source~2"], "consumer thread");
  // Hoisting twice changes nothing.
  const ordered_json again = b;
  bench::hoist_methods(b, methods);
  EXPECT_EQ(b, again);
  EXPECT_EQ(methods.size(), 5u);  // the four texts and the second source
}

// Every "methods:" reference in a real results file names a text there.
TEST(Methods, EveryReferenceInAResultsFileResolves) {
  testing::ScratchDir dir;
  const std::string out = dir.path + "/results.json";
  const auto r = testing::run_ipcbench(
      {"--transports=pipe", "--sizes=64", "--scenarios=pingpong,rate",
       "--rate=10K", "--benchmark_min_time=0.02", "--baselines=none",
       "--out=" + out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = testing::load_results(out);
  const auto& methods = doc["ipcbench"]["methods"];
  int refs = 0;
  std::function<void(const nlohmann::json&)> check =
      [&](const nlohmann::json& j) {
        if (j.is_structured()) {
          for (const auto& v : j) check(v);
        } else if (j.is_string()) {
          const auto& s = j.get_ref<const std::string&>();
          if (s.rfind("methods:", 0) != 0) return;
          ++refs;
          EXPECT_TRUE(methods.contains(s.substr(8))) << s;
        }
      };
  check(doc["ipcbench"]["benchmarks"]);
  EXPECT_GE(refs, 2 * 3);  // warm-up, CPU and contention, in each record
  ASSERT_EQ(doc["ipcbench"]["benchmarks"].size(), 2u);
  EXPECT_EQ(doc["ipcbench"]["benchmarks"][0]["warmup"]["method"],
            "methods:warmup.method");
  EXPECT_NE(methods["warmup.method"].get<std::string>().find("min_ns"),
            std::string::npos);
}

}  // namespace
}  // namespace ipcb
