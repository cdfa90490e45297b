// The ipcbench executable end to end: bad input, a real small run and its
// results file, supervision of a peer that crashes or hangs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_util.hpp"

namespace ipcb {
namespace {

using testing::count_lines;
using testing::run_ipcbench;
using testing::ScratchDir;

void expect_usage_error(const std::vector<std::string>& args,
                        const std::string& must_mention) {
  ScratchDir dir;
  std::vector<std::string> all = args;
  all.push_back("--out=" + dir.path + "/run/results.json");
  auto r = run_ipcbench(all);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find(must_mention), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path + "/run")) << "results created";
}

TEST(Cli, BadInputIsOneLineExitTwoAndNothingWritten) {
  expect_usage_error({"--transports=carrier_pigeon"}, "accepted: pipe");
  expect_usage_error({"--scenarios=warp"}, "accepted: pingpong, stream");
  expect_usage_error({"--rate=0"}, "--rate");
  expect_usage_error({"--benchmark_repetitions=0"}, "whole number");
  expect_usage_error({"--sizes=0"}, "size 0");
  expect_usage_error({"--sizes=lots"}, "not a size");
  expect_usage_error({"--cpus=4095,0"}, "affinity mask");
  expect_usage_error({"--timeout=0"}, "--timeout");
  expect_usage_error({"--producers=0"}, "--producers");
  expect_usage_error({"--no-such-flag"}, "unknown flag");
  expect_usage_error(
      {"--transports=pipe", "--sizes=64", "--benchmark_filter=matches_nothing"},
      "no benchmark matched");
}

TEST(Cli, MemcpyBaselineGivesTheCopyFloorPerSize) {
  ScratchDir dir;
  std::string out = dir.path + "/results.json";
  auto r = run_ipcbench({"--transports=pipe", "--sizes=64,4K",
                         "--benchmark_filter=baseline",
                         "--benchmark_min_time=0.01", "--out=" + out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = nlohmann::json::parse(testing::slurp(out));
  ASSERT_EQ(doc["benchmarks"].size(), 2u);
  EXPECT_EQ(doc["benchmarks"][0]["name"], "baseline/memcpy/64");
  for (const auto& b : doc["benchmarks"]) {
    EXPECT_GT(b["bytes_per_second"].get<double>(), 0);
    EXPECT_GT(b["ns_per_copy"].get<double>(), 0);
  }
  EXPECT_EQ(doc["ipcbench"]["benchmarks"][1]["scenario"], "memcpy");
  expect_usage_error({"--baselines=cp"}, "--baselines");
}

TEST(Cli, AKernelLimitThatFragmentsASizeIsAWarningNamingTheKnob) {
  ScratchDir dir;
  const std::string out = dir.path + "/results.json";
  auto r = run_ipcbench({"--transports=sysv_mq", "--wait=block", "--sizes=16K",
                         "--scenarios=stream", "--baselines=none",
                         "--benchmark_min_time=0.01", "--out=" + out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = nlohmann::json::parse(testing::slurp(out));
  bool warned = false;
  for (const auto& w : doc["ipcbench"]["warnings"]) {
    const std::string s = w;
    if (s.find("sysv_mq: a kernel limit caps") == std::string::npos) continue;
    warned = true;
    EXPECT_NE(s.find("16384 B are fragmented"), std::string::npos) << s;
    EXPECT_NE(s.find("sysctl -w kernel.msgmax="), std::string::npos) << s;
  }
  // Only where kernel.msgmax really is below the size (8192 by default).
  const long msgmax = std::stol(testing::slurp("/proc/sys/kernel/msgmax"));
  EXPECT_EQ(warned, msgmax < 16384);
  // Printed once on stderr too.
  EXPECT_EQ(r.err.find("kernel.msgmax") != std::string::npos, warned) << r.err;
}

TEST(Cli, ListShowsEveryTransportWithCapabilities) {
  auto r = run_ipcbench({"--list"});
  EXPECT_EQ(r.exit_code, 0);
  for (std::string t : {"pipe", "fifo", "unix_stream", "tcp"}) {
    EXPECT_NE(r.out.find(t + " "), std::string::npos) << t;
  }
  EXPECT_NE(r.out.find("limits:"), std::string::npos);
}

TEST(Cli, SmallRunWritesACompleteResultsFile) {
  ScratchDir dir;
  std::string out = dir.path + "/r/results.json";
  auto r = run_ipcbench({"--transports=pipe,unix_stream", "--sizes=64,4097",
                         "--scenarios=pingpong,stream", "--baselines=none",
                         "--benchmark_min_time=0.01", "--out=" + out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = nlohmann::json::parse(testing::slurp(out));
  ASSERT_TRUE(doc.contains("context"));
  ASSERT_EQ(doc["benchmarks"].size(), 8u);
  const auto& ib = doc["ipcbench"];
  EXPECT_EQ(ib["schema_version"], 1);
  EXPECT_EQ(ib["complete"], true);
  EXPECT_TRUE(ib["environment"].contains("kernel"));
  EXPECT_GT(ib["environment"]["clock"]["read_cost_ns"].get<double>(), 0);
  ASSERT_EQ(ib["benchmarks"].size(), 8u);
  for (const auto& b : doc["benchmarks"]) {
    EXPECT_FALSE(b.contains("ipcb_record_id")) << b["name"];
    EXPECT_FALSE(b.value("error_occurred", false)) << b["error_message"];
    std::string name = b["name"];
    if (name.rfind("pingpong/", 0) == 0) {
      for (const char* k :
           {"rtt_p50_ns", "rtt_p90_ns", "rtt_p99_ns", "rtt_p999_ns",
            "rtt_min_ns", "rtt_max_ns", "one_way_est_ns"}) {
        EXPECT_TRUE(b.contains(k)) << name << " lacks " << k;
      }
      EXPECT_LE(b["rtt_min_ns"].get<double>(), b["rtt_p50_ns"].get<double>());
      EXPECT_LE(b["rtt_p50_ns"].get<double>(), b["rtt_p99_ns"].get<double>());
    } else {
      EXPECT_GT(b["bytes_per_second"].get<double>(), 0) << name;
      EXPECT_GT(b["msgs_per_s"].get<double>(), 0) << name;
    }
  }
  for (const auto& rec : ib["benchmarks"]) {
    EXPECT_GE(rec["cpus_observed"]["driver"].get<int>(), 0);
    if (rec["scenario"] == "pingpong") {
      const auto& p = rec["latency"]["percentiles_ns"];
      for (const char* k : {"0", "1", "5", "10", "25", "50", "75", "90", "95",
                            "99", "99.9", "99.99", "100"}) {
        EXPECT_TRUE(p.contains(k)) << k;
      }
      EXPECT_EQ(rec["latency"]["count"], rec["iterations"]);
    } else {
      EXPECT_EQ(rec["throughput"]["messages"], rec["iterations"]);
    }
  }
  // Placement recorded and honoured.
  EXPECT_EQ(ib["placement"]["preset"], "cross");
}

TEST(Cli, CrashingPeerFailsThatBenchmarkAndTheSuiteGoesOn) {
  ScratchDir dir;
  std::string out = dir.path + "/results.json";
  auto r = run_ipcbench({"--transports=pipe,tcp", "--sizes=64",
                         "--scenarios=pingpong", "--benchmark_min_time=0.01",
                         "--inject-peer-fault=crash@run:5", "--out=" + out});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto doc = nlohmann::json::parse(testing::slurp(out));
  const auto& failures = doc["ipcbench"]["failures"];
  ASSERT_EQ(failures.size(), 2u) << r.err;
  for (const auto& f : failures) {
    std::string e = f["error"];
    EXPECT_NE(e.find("signal 11 (SEGV)"), std::string::npos) << e;
    EXPECT_NE(e.find("during run"), std::string::npos) << e;
  }
  EXPECT_EQ(doc["ipcbench"]["complete"], true);
}

TEST(Cli, KilledPeerInStreamIsReportedWithItsSignal) {
  ScratchDir dir;
  std::string out = dir.path + "/results.json";
  auto r = run_ipcbench({"--transports=unix_stream", "--sizes=4K,64K",
                         "--scenarios=stream", "--benchmark_min_time=0.01",
                         "--inject-peer-fault=kill@run:20", "--out=" + out});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto doc = nlohmann::json::parse(testing::slurp(out));
  ASSERT_EQ(doc["ipcbench"]["failures"].size(), 2u);
  for (const auto& f : doc["ipcbench"]["failures"]) {
    std::string e = f["error"];
    EXPECT_NE(e.find("signal 9 (KILL)"), std::string::npos) << e;
  }
}

TEST(Cli, HungPeerIsKilledAfterTheTimeout) {
  ScratchDir dir;
  std::string out = dir.path + "/results.json";
  auto r =
      run_ipcbench({"--transports=fifo", "--sizes=64", "--scenarios=stream",
                    "--timeout=1", "--benchmark_min_time=0.01",
                    "--inject-peer-fault=hang@run:3", "--out=" + out});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto doc = nlohmann::json::parse(testing::slurp(out));
  ASSERT_EQ(doc["ipcbench"]["failures"].size(), 1u);
  std::string e = doc["ipcbench"]["failures"][0]["error"];
  EXPECT_NE(e.find("stopped answering"), std::string::npos) << e;
}

TEST(Cli, PeerThatDiesWhileConnectingIsReported) {
  ScratchDir dir;
  std::string out = dir.path + "/results.json";
  auto r = run_ipcbench({"--transports=fifo,unix_stream", "--sizes=64",
                         "--scenarios=pingpong", "--benchmark_min_time=0.01",
                         "--inject-peer-fault=exit@connect", "--out=" + out});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto doc = nlohmann::json::parse(testing::slurp(out));
  ASSERT_EQ(doc["ipcbench"]["failures"].size(), 2u);
  for (const auto& f : doc["ipcbench"]["failures"]) {
    std::string e = f["error"];
    EXPECT_NE(e.find("exited with status 3"), std::string::npos) << e;
  }
}

}  // namespace
}  // namespace ipcb
