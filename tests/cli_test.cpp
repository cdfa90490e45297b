// The ipcbench executable end to end: bad input, a real small run and its
// results file, supervision of a peer that crashes or hangs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "harness/stats.hpp"
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
  EXPECT_EQ(r.err.rfind("ipcbench: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(must_mention), std::string::npos)
      << "expected '" << must_mention << "' in: " << r.err;
  EXPECT_EQ(r.out, "") << "stdout for " << args.back();
  EXPECT_FALSE(std::filesystem::exists(dir.path + "/run")) << "results created";
}

// Refused input with a small plan in front, so that input which slips
// through runs for a moment, not the whole default suite.
void expect_refused(const std::vector<std::string>& args,
                    const std::string& must_mention) {
  std::vector<std::string> all = {"--transports=pipe", "--sizes=64",
                                  "--scenarios=pingpong", "--baselines=none",
                                  "--benchmark_min_time=0.01"};
  all.insert(all.end(), args.begin(), args.end());
  expect_usage_error(all, must_mention);
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
  expect_usage_error({"--malloc=tcmalloc"}, "use steady (default) or glibc");
  expect_usage_error({"--producers=0"}, "--producers");
  expect_usage_error({"--no-such-flag"}, "unknown flag");
  expect_usage_error(
      {"--transports=pipe", "--sizes=64", "--benchmark_filter=matches_nothing"},
      "no benchmark matched");
}

TEST(Cli, BadGoogleBenchmarkFlagsAreRefusedBeforeAnythingRuns) {
  expect_refused(
      {"--benchmark_format=xml"},
      "ipcbench: --benchmark_format: 'xml' is not accepted; use console, "
      "json or csv");
  expect_refused({"--benchmark_out_format=xml"},
                 "--benchmark_out_format: 'xml'");
  expect_refused({"--benchmark_color=purple"}, "--benchmark_color: 'purple'");
  for (std::string flag :
       {"--benchmark_list_tests", "--benchmark_enable_random_interleaving",
        "--benchmark_report_aggregates_only",
        "--benchmark_display_aggregates_only",
        "--benchmark_counters_tabular"}) {
    for (std::string v : {"maybe", "2"})
      expect_refused({flag + "=" + v}, flag + ": '" + v + "'");
  }
  expect_refused({"--benchmark_filter=("},
                 "--benchmark_filter: '(' is not a valid regular expression");
  expect_refused({"--benchmark_filter=-("}, "--benchmark_filter: '-('");
  expect_refused({"--benchmark_time_unit=ps"}, "--benchmark_time_unit: 'ps'");
  expect_refused({"--benchmark_min_warmup_time=-1"},
                 "--benchmark_min_warmup_time: '-1'");
  expect_refused({"--benchmark_min_time="}, "--benchmark_min_time: needs");
  expect_refused({"--benchmark_min_time=0.5s"}, "--benchmark_min_time: '0.5s'");
  expect_refused({"--benchmark_repetitions=1e3"},
                 "--benchmark_repetitions: '1e3'");
  expect_refused({"--benchmark_perf_counters=CYCLES"},
                 "--benchmark_perf_counters");
  expect_refused({"--benchmark_context=a=b,c"}, "--benchmark_context: 'a=b,c'");
  expect_refused({"--benchmark_context=date=today"}, "'date'");
  expect_refused({"--v=x"}, "--v: 'x'");
  expect_refused({"--benchmark_foo=1"}, "--benchmark_foo");
  expect_refused({"--benchmark_filter"}, "--benchmark_filter: needs a value");
}

TEST(Cli, BadGoogleBenchmarkEnvironmentVariablesAreRefused) {
  // Google Benchmark reads BENCHMARK_FORMAT when --benchmark_format is not
  // given; run_ipcbench hands this process's environment down.
  ::setenv("BENCHMARK_FORMAT", "xml", 1);
  expect_refused({}, "ipcbench: BENCHMARK_FORMAT (environment): 'xml'");
  ::unsetenv("BENCHMARK_FORMAT");
  ::setenv("BENCHMARK_REPETITIONS", "", 1);
  expect_refused({}, "BENCHMARK_REPETITIONS (environment): needs a value");
  ::unsetenv("BENCHMARK_REPETITIONS");
}

TEST(Cli, UnusableBenchmarkOutIsRefusedAndNothingCreated) {
  ScratchDir dir;
  const std::string file = dir.path + "/file";
  std::ofstream(file) << "planted";
  const std::string missing = dir.path + "/missing";
  expect_refused({"--benchmark_out=" + missing + "/gb.json"},
                 "--benchmark_out: '" + missing + "/gb.json'");
  EXPECT_FALSE(std::filesystem::exists(missing));
  expect_refused({"--benchmark_out=" + file + "/gb.json"},
                 "--benchmark_out: '" + file + "/gb.json'");
  expect_refused({"--benchmark_out=" + dir.path}, "not a regular file");
  expect_refused({"--benchmark_out=/dev/null"}, "not a regular file");
  EXPECT_EQ(testing::slurp(file), "planted");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path),
                          std::filesystem::directory_iterator()),
            1);
}

TEST(Cli, ListsWithSpacesAndTinyTimeoutsAreRefused) {
  expect_refused({"--cpus=0, 1"},
                 "--cpus: '0, 1' is not accepted (it contains whitespace); "
                 "give a comma-separated list without spaces, such as "
                 "--cpus=0,1");
  expect_refused({"--cpus=0,", "1"}, "such as --cpus=0,1");
  expect_refused({"--transports=pipe, fifo"}, "such as --transports=");
  expect_refused({"--sizes=64, 4K"}, "such as --sizes=");
  expect_refused({"--scenarios=pingpong, stream"}, "such as --scenarios=");
  expect_refused({"--wait=block, spin"}, "such as --wait=");
  expect_refused({"--placement=cross, same"}, "such as --placement=");
  expect_refused({"--rate=10K, 100K"}, "such as --rate=");
  expect_refused({"--producers=1, 2"}, "such as --producers=");
  expect_refused({"--timeout= 5"}, "--timeout: ' 5'");
  expect_refused({"--timeout=0.000001"},
                 "--timeout: '0.000001' is not accepted");
  expect_refused({"--pairs=+2"}, "--pairs: '+2'");
}

// ipcbench shows results with its own display reporter, which follows the
// same format, color and tabular settings Google Benchmark would.
TEST(Cli, DisplayFollowsFormatColorAndTabularSettings) {
  auto display = [](std::vector<std::string> extra) {
    ScratchDir dir;
    std::vector<std::string> args = {
        "--transports=pipe", "--sizes=64", "--benchmark_filter=baseline",
        "--benchmark_min_time=0.01", "--out=" + dir.path + "/results.json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run_ipcbench(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  const std::string plain = display({});
  EXPECT_EQ(plain.find("\x1b["), std::string::npos) << "stdout is no tty";
  EXPECT_NE(plain.find("ns_per_copy"), std::string::npos) << plain;
  EXPECT_EQ(plain.find("ns_per_copy="), std::string::npos) << "tabular";
  EXPECT_NE(display({"--benchmark_color=true"}).find("\x1b["),
            std::string::npos);
  EXPECT_NE(
      display({"--benchmark_counters_tabular=false"}).find("ns_per_copy="),
      std::string::npos);
  EXPECT_TRUE(nlohmann::json::parse(display({"--benchmark_format=json"}))
                  .contains("benchmarks"));
  ::setenv("BENCHMARK_FORMAT", "json", 1);
  const std::string from_env = display({});
  ::unsetenv("BENCHMARK_FORMAT");
  EXPECT_TRUE(
      nlohmann::json::parse(from_env, nullptr, false).contains("benchmarks"))
      << from_env;
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
  for (std::size_t i = 0; i < doc["benchmarks"].size(); ++i) {
    const auto& b = doc["benchmarks"][i];
    EXPECT_FALSE(b.contains("ipcb_record_id")) << b["name"];
    EXPECT_FALSE(b.value("error_occurred", false)) << b["error_message"];
    std::string name = b["name"];
    if (name.rfind("pingpong/", 0) == 0) {
      for (const char* k :
           {"rtt_p50_ns", "rtt_min_ns", "rtt_max_ns", "one_way_est_ns"}) {
        EXPECT_TRUE(b.contains(k)) << name << " lacks " << k;
      }
      // Tail counters only with the samples they need (harness/stats.hpp).
      const std::int64_t n = ib["benchmarks"][i]["latency"]["count"];
      EXPECT_EQ(b.contains("rtt_p90_ns"), n >= 100) << name;
      EXPECT_EQ(b.contains("rtt_p99_ns"), n >= 1000) << name;
      EXPECT_EQ(b.contains("rtt_p999_ns"), n >= 10000) << name;
      EXPECT_LE(b["rtt_min_ns"].get<double>(), b["rtt_p50_ns"].get<double>());
      EXPECT_LE(b["rtt_p50_ns"].get<double>(), b["rtt_max_ns"].get<double>());
    } else {
      EXPECT_GT(b["bytes_per_second"].get<double>(), 0) << name;
      EXPECT_GT(b["msgs_per_s"].get<double>(), 0) << name;
    }
  }
  for (const auto& rec : ib["benchmarks"]) {
    EXPECT_GE(rec["cpus_observed"]["driver"].get<int>(), 0);
    if (rec["scenario"] == "pingpong") {
      const auto& p = rec["latency"]["percentiles_ns"];
      const std::int64_t n = rec["latency"]["count"];
      // The points results.json keeps (the rest: distributions.json.gz),
      // each with the samples it needs (a slow sanitizer run on a loaded
      // machine may time fewer than the 40 that p75 needs).
      for (const double k : {0.0, 10.0, 25.0, 50.0, 75.0, 100.0}) {
        const std::string key = std::to_string(static_cast<int>(k));
        EXPECT_EQ(p.contains(key), n >= harness::samples_needed(k))
            << key << " of " << n;
      }
      EXPECT_EQ(p.contains("99"), n >= 1000);
      EXPECT_EQ(p.contains("99.9"), n >= 10000);
      EXPECT_EQ(p.contains("99.99"), n >= 100000);
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
