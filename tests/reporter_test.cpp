// The results reporter on synthetic runs: exact classification of
// failures, skips and high variability; internal counters stripped; the
// file is valid after every batch and complete only after Finalize().
#include "bench/reporter.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_util.hpp"

namespace ipcb::bench {
namespace {

using GbRun = benchmark::BenchmarkReporter::Run;

GbRun iteration(const std::string& name, double record_id) {
  GbRun r;
  r.run_name.function_name = name;
  r.run_name.time_type = "manual_time";
  r.run_type = GbRun::RT_Iteration;
  r.iterations = 10;
  r.repetition_index = 0;
  r.repetitions = 1;
  r.real_accumulated_time = 1e-5;
  r.cpu_accumulated_time = 1e-5;
  r.counters["rtt_p50_ns"] = 1000;
  if (record_id > 0) r.counters[kRecordCounter] = record_id;
  return r;
}

TEST(Reporter, ClassifiesAndCleansEveryRun) {
  testing::ScratchDir dir;
  const std::string path = dir.path + "/out/results.json";
  RecordStore store;
  auto id_ok =
      store.add({{"name", "pingpong/pipe/64"}, {"scenario", "pingpong"}});
  store.add({{"name", "pingpong/tcp/64"}, {"error", "peer was killed"}});
  auto id_skip =
      store.add({{"name", "pingpong/x/64"}, {"skipped", "no kernel"}});
  std::ostringstream shown;
  auto display = std::make_unique<benchmark::JSONReporter>();
  display->SetOutputStream(&shown);
  display->SetErrorStream(&shown);
  ResultsReporter rep(
      std::move(display), path,
      {{"schema_version", 1}, {"warnings", nlohmann::json::array()}}, store);
  benchmark::BenchmarkReporter::Context ctx;
  rep.ReportContext(ctx);
  auto first = nlohmann::json::parse(testing::slurp(path));
  EXPECT_EQ(first["ipcbench"]["complete"], false);

  GbRun ok = iteration("pingpong/pipe/64", static_cast<double>(id_ok));
  GbRun failed =
      iteration("pingpong/tcp/64", 0);  // error runs carry no counters
  failed.error_occurred = true;
  failed.error_message = "peer was killed by signal 9 (KILL) during run";
  GbRun skipped = iteration("pingpong/x/64", static_cast<double>(id_skip));
  skipped.error_occurred = true;
  skipped.error_message = "skipped: unavailable here: no kernel";
  GbRun cv = iteration("pingpong/pipe/64", 0);
  cv.run_type = GbRun::RT_Aggregate;
  cv.aggregate_name = "cv";
  cv.aggregate_unit = benchmark::kPercentage;
  cv.real_accumulated_time = 0.2;  // 20 %
  rep.ReportRuns({ok, failed, skipped, cv});
  rep.Finalize();

  EXPECT_EQ(rep.failures(), 1);
  auto doc = nlohmann::json::parse(testing::slurp(path));
  const auto& ib = doc["ipcbench"];
  EXPECT_EQ(ib["complete"], true);
  ASSERT_EQ(ib["failures"].size(), 1u);
  EXPECT_EQ(ib["failures"][0]["name"], "pingpong/tcp/64");
  EXPECT_EQ(ib["failures"][0]["error"],
            "peer was killed by signal 9 (KILL) during run");
  ASSERT_EQ(ib["skipped"].size(), 1u);
  EXPECT_EQ(ib["skipped"][0]["reason"], "unavailable here: no kernel");
  ASSERT_EQ(ib["high_variability"].size(), 1u);
  EXPECT_EQ(ib["high_variability"][0]["name"], "pingpong/pipe/64");
  EXPECT_DOUBLE_EQ(ib["high_variability"][0]["cv"].get<double>(), 0.2);
  ASSERT_EQ(ib["benchmarks"].size(), 3u);
  EXPECT_EQ(ib["benchmarks"][0]["scenario"], "pingpong");
  EXPECT_EQ(ib["benchmarks"][1]["error"], "peer was killed");
  for (const auto& b : doc["benchmarks"]) {
    EXPECT_EQ(b["name"].get<std::string>().find("manual_time"),
              std::string::npos);
    EXPECT_FALSE(b.contains(kRecordCounter));
  }
  EXPECT_EQ(doc["benchmarks"].size(), 4u);  // Google Benchmark's own view
}

TEST(Reporter, RateAndFaninVariabilityIsJudgedByTheirLatency) {
  testing::ScratchDir dir;
  const std::string path = dir.path + "/results.json";
  RecordStore store;
  ResultsReporter rep(
      std::make_unique<benchmark::JSONReporter>(), path,
      {{"schema_version", 1}, {"warnings", nlohmann::json::array()}}, store);
  std::ostringstream sink;
  rep.SetOutputStream(&sink);
  benchmark::BenchmarkReporter::Context ctx;
  rep.ReportContext(ctx);
  auto cv_of = [](const std::string& name, double time_cv, double lat_cv) {
    GbRun cv = iteration(name, 0);
    cv.run_type = GbRun::RT_Aggregate;
    cv.aggregate_name = "cv";
    cv.aggregate_unit = benchmark::kPercentage;
    cv.real_accumulated_time = time_cv;
    cv.counters.erase("rtt_p50_ns");
    if (lat_cv >= 0) cv.counters["lat_p50_ns"] = lat_cv;
    if (name.rfind("rate/", 0) == 0) cv.counters["offered_per_s"] = 0;
    return cv;
  };
  rep.ReportRuns({cv_of("rate/pipe/64/1000_per_s", 0.001, 0.30),
                  cv_of("rate/tcp/64/1000_per_s", 0.50, 0.01),
                  cv_of("fanin/pipe/64/2_producers", 0.02, 0.06),
                  cv_of("fanin/tcp/64/2_producers", 0.08, 0.01),
                  cv_of("fanin/unix_dgram/64/2_producers", 0.01, 0.02),
                  cv_of("stream/pipe/64", 0.07, -1)});
  rep.Finalize();
  const auto hv = nlohmann::json::parse(
      testing::slurp(path))["ipcbench"]["high_variability"];
  ASSERT_EQ(hv.size(), 4u) << hv;
  EXPECT_EQ(hv[0], (nlohmann::json{{"name", "rate/pipe/64/1000_per_s"},
                                   {"cv", 0.30},
                                   {"figure", "lat_p50_ns"}}));
  EXPECT_EQ(hv[1]["name"], "fanin/pipe/64/2_producers");
  EXPECT_EQ(hv[1]["figure"], "lat_p50_ns");
  // fan-in's throughput (its time) counts too
  EXPECT_EQ(hv[2], (nlohmann::json{{"name", "fanin/tcp/64/2_producers"},
                                   {"cv", 0.08},
                                   {"figure", "real_time"}}));
  EXPECT_EQ(hv[3], (nlohmann::json{{"name", "stream/pipe/64"},
                                   {"cv", 0.07},
                                   {"figure", "real_time"}}));
}

TEST(Reporter, RepetitionsOfAFailedOrSkippedBenchmarkKeepTheirOwnRecords) {
  testing::ScratchDir dir;
  const std::string path = dir.path + "/results.json";
  RecordStore store;
  // Repetition 0: an invocation that succeeded, then one that failed;
  // repetition 1: failed at once. Two repetitions of a skipped case.
  store.add({{"name", "stream/tcp/64"}, {"scenario", "stream"}});
  store.add({{"name", "stream/tcp/64"}, {"error", "first"}});
  store.add({{"name", "stream/tcp/64"}, {"error", "second"}});
  store.add({{"name", "fanin/tcp/64/2_producers"}, {"skipped", "no fan-in"}});
  store.add({{"name", "fanin/tcp/64/2_producers"}, {"skipped", "no fan-in"}});
  auto display = std::make_unique<benchmark::JSONReporter>();
  std::ostringstream shown;
  display->SetOutputStream(&shown);
  display->SetErrorStream(&shown);
  ResultsReporter rep(
      std::move(display), path,
      {{"schema_version", 1}, {"warnings", nlohmann::json::array()}}, store);
  rep.ReportContext({});
  std::vector<GbRun> runs;
  for (int r = 0; r < 2; ++r) {
    GbRun failed = iteration("stream/tcp/64", 0);
    failed.error_occurred = true;
    failed.error_message = "peer failed";
    failed.repetition_index = r;
    failed.repetitions = 2;
    runs.push_back(failed);
  }
  for (int r = 0; r < 2; ++r) {
    GbRun skipped = iteration("fanin/tcp/64/2_producers", 0);
    skipped.error_occurred = true;
    skipped.error_message = "skipped: no fan-in";
    skipped.repetition_index = r;
    skipped.repetitions = 2;
    runs.push_back(skipped);
  }
  rep.ReportRuns(runs);
  rep.Finalize();
  auto ib = nlohmann::json::parse(testing::slurp(path))["ipcbench"];
  ASSERT_EQ(ib["benchmarks"].size(), 4u);
  EXPECT_EQ(ib["benchmarks"][0]["error"], "first");
  EXPECT_EQ(ib["benchmarks"][1]["error"], "second");
  EXPECT_EQ(ib["benchmarks"][1]["repetition_index"], 1);
  EXPECT_EQ(ib["benchmarks"][2]["skipped"], "no fan-in");
  EXPECT_EQ(ib["benchmarks"][3]["skipped"], "no fan-in");
  EXPECT_EQ(ib["failures"].size(), 2u);
  EXPECT_EQ(ib["skipped"].size(), 1u);  // listed once
}

}  // namespace
}  // namespace ipcb::bench
