// Progress and summary: the ETA arithmetic and the ranking on known
// inputs (bench/progress.hpp, bench/summary.hpp), and ipcbench's progress
// on stderr without a terminal and under a pseudo-terminal. No test
// asserts a duration.
#include "bench/progress.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "bench/summary.hpp"
#include "test_util.hpp"

namespace ipcb::bench {
namespace {

using nlohmann::ordered_json;
using testing::run_ipcbench;
using testing::ScratchDir;

TEST(Eta, PlannedTimeWhileNothingIsDone) {
  EXPECT_DOUBLE_EQ(eta_seconds({100, 0, 0, 0, 0}), 100);
  // The running benchmark has taken 30 s of it already.
  EXPECT_DOUBLE_EQ(eta_seconds({100, 0, 0, 0, 30}), 70);
}

TEST(Eta, MeasuredTimesCorrectThePlanBlendedByCount) {
  // 2 runs planned at 10 s took 20 s: measured/planned = 2, blended with
  // the plan's weight of 3 runs: (3 + 2 * 2) / 5 = 1.4 of the 90 s left.
  EXPECT_DOUBLE_EQ(eta_seconds({100, 10, 20, 2, 0}), 126);
  EXPECT_DOUBLE_EQ(eta_seconds({100, 10, 20, 2, 6}), 120);
  // 97 runs later the measurements dominate: (3 + 97 * 0.5) / 100.
  EXPECT_DOUBLE_EQ(eta_seconds({200, 100, 50, 97, 0}), 51.5);
  // Done runs without planned time (skipped) leave the plan as it is.
  EXPECT_DOUBLE_EQ(eta_seconds({100, 0, 3, 0, 0}), 100);
}

TEST(Eta, NeverNegative) {
  EXPECT_DOUBLE_EQ(eta_seconds({100, 100, 120, 10, 0}), 0);
  EXPECT_DOUBLE_EQ(eta_seconds({100, 50, 50, 5, 80}), 0);
}

TEST(Eta, PlannedRunSeconds) {
  const PlanTiming t{0.5, 0.25, 3};
  EXPECT_DOUBLE_EQ(planned_run_seconds(t, false, true),
                   kMinTimeFactor * 0.75 + kCaseOverheadS);
  EXPECT_DOUBLE_EQ(planned_run_seconds(t, false, false), kMinTimeFactor * 0.75);
  EXPECT_DOUBLE_EQ(planned_run_seconds(t, true, true), 0);
  // fan-in, fan-out and rate cases carry fixed seconds of their own
  EXPECT_DOUBLE_EQ(planned_run_seconds(t, false, true, 4.0),
                   kMinTimeFactor * 0.75 + kCaseOverheadS + 4.0);
  EXPECT_DOUBLE_EQ(planned_run_seconds(t, true, true, 4.0), 0);
  EXPECT_DOUBLE_EQ(extra_seconds(1, false), 0);
  EXPECT_DOUBLE_EQ(extra_seconds(4, false), 3 * kExtraPeerS);
  EXPECT_DOUBLE_EQ(extra_seconds(2, true), kExtraPeerS + kRateCapacityS);
  EXPECT_DOUBLE_EQ(extra_seconds(0, false), 0);
}

TEST(Eta, FilterKeepsWhatGoogleBenchmarkRuns) {
  const std::vector<PlannedBenchmark> plan = {
      {"baseline/memcpy/64", "baseline/memcpy/64/real_time", 0.5},
      {"pingpong/pipe/64", "pingpong/pipe/64/manual_time", 0.7},
      {"stream/pipe/64", "stream/pipe/64/manual_time", 0.7}};
  auto names = [&](const std::string& filter) {
    std::vector<std::string> out;
    for (const auto& b : filter_plan(plan, filter)) out.push_back(b.name);
    return out;
  };
  EXPECT_EQ(names("").size(), 3u);
  EXPECT_EQ(names("all").size(), 3u);
  EXPECT_EQ(names("pingpong"), std::vector<std::string>{"pingpong/pipe/64"});
  EXPECT_EQ(names("-pingpong"),
            (std::vector<std::string>{"baseline/memcpy/64", "stream/pipe/64"}));
  EXPECT_EQ(names("manual_time$"),
            (std::vector<std::string>{"pingpong/pipe/64", "stream/pipe/64"}));
  EXPECT_EQ(names("^(ping|str)").size(), 2u);
}

TEST(Eta, DurationsAndTheStatusText) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(59.9), "59s");
  EXPECT_EQ(format_duration(192), "3m12s");
  EXPECT_EQ(format_duration(3900), "1h05m");
  EXPECT_EQ(format_duration(-5), "0s");
  EXPECT_EQ(status_text(412, 1672, "stream/tcp/65536", 192, 460),
            "[ 412/1672] stream/tcp/65536 | 3m12s elapsed | ETA 7m40s");
  EXPECT_EQ(status_text(3, 3, "done", 5, 0),
            "[3/3] done | 5s elapsed | ETA 0s");
}

// A measured record of `scenario` with its headline figure.
ordered_json record(const std::string& name, const std::string& scenario,
                    double figure) {
  ordered_json r = {{"name", name}, {"scenario", scenario}};
  if (scenario == "fanout") {  // sent 10x what was delivered
    r["throughput"] = {{"msgs_per_s", figure * 10}};
    r["fanout"]["delivered"] = {{"msgs_per_s", figure}};
    return r;
  }
  if (scenario == "stream")
    r["throughput"] = {{"bytes_per_second", figure}};
  else if (scenario == "fanin")
    r["throughput"] = {{"msgs_per_s", figure}};
  else if (scenario == "oneway")
    r["oneway"]["driver_to_peer"]["percentiles_ns"] = {{"50", figure}};
  else
    r["latency"]["percentiles_ns"] = {{"50", figure}, {"99", figure * 2}};
  return r;
}

ordered_json sample_records() {
  ordered_json recs = ordered_json::array();
  recs.push_back(record("baseline/memcpy/64", "memcpy", 0));
  recs.push_back(record("pingpong/pipe/64", "pingpong", 46000));
  recs.push_back(record("pingpong/tcp/64", "pingpong", 55000));
  // Two repetitions: the median of 120, 90 (and 60 below) counts.
  recs.push_back(record("pingpong/shm_ring:spin/64", "pingpong", 120));
  recs.push_back(record("pingpong/shm_ring:spin/64", "pingpong", 90));
  recs.push_back(record("pingpong/shm_ring:spin/64", "pingpong", 60));
  recs.push_back(record("pingpong/eventfd:spin/64", "pingpong", 1800));
  recs.push_back({{"name", "pingpong/udp/64"},
                  {"scenario", "pingpong"},
                  {"error", "peer exited with status 1"}});
  recs.push_back({{"name", "pingpong/zmq_ipc/64"},
                  {"scenario", "pingpong"},
                  {"skipped", "unavailable here"}});
  // A larger figure is better for a stream; also the aggregate of pairs.
  recs.push_back(record("stream/pipe/65536", "stream", 1.6e9));
  recs.push_back(record("stream/tcp/65536", "stream", 5.1e9));
  ordered_json pairs = record("stream/unix_stream/65536", "stream", 1e9);
  pairs["aggregate"] = {{"bytes_per_second", 9e9}};
  recs.push_back(pairs);
  recs.push_back(record("fanin/pipe/64/2_producers", "fanin", 500000));
  recs.push_back(record("oneway/pipe/64", "oneway", 23000));
  recs.push_back(record("fanout/zmq_ipc/64/2_consumers", "fanout", 4e5));
  recs.push_back(record("fanout/shm_ring:spin/64/2_consumers", "fanout", 2e6));
  return recs;
}

TEST(Summary, TopThreeBestFirstPerScenarioAndSize) {
  const auto r = rank_transports(sample_records());
  ASSERT_EQ(r.size(), 5u);  // memcpy is not ranked
  EXPECT_EQ(r[0].group, "pingpong/64");
  ASSERT_EQ(r[0].best.size(), 3u);
  EXPECT_EQ(r[0].best[0].series, "shm_ring:spin");
  EXPECT_DOUBLE_EQ(r[0].best[0].value, 90);  // median of 3 repetitions
  EXPECT_EQ(r[0].best[1].series, "eventfd:spin");
  EXPECT_EQ(r[0].best[2].series, "pipe");
  EXPECT_EQ(r[1].group, "stream/65536");
  ASSERT_EQ(r[1].best.size(), 3u);
  EXPECT_EQ(r[1].best[0].series, "unix_stream");
  EXPECT_DOUBLE_EQ(r[1].best[0].value, 9e9);
  EXPECT_EQ(r[1].best[1].series, "tcp");
  EXPECT_EQ(r[1].best[2].series, "pipe");
  EXPECT_EQ(r[2].group, "fanin/64/2_producers");
  EXPECT_EQ(r[3].group, "oneway/64");
  EXPECT_DOUBLE_EQ(r[3].best.at(0).value, 23000);
  // fanout ranks by what was delivered, not by what was sent.
  EXPECT_EQ(r[4].group, "fanout/64/2_consumers");
  ASSERT_EQ(r[4].best.size(), 2u);
  EXPECT_EQ(r[4].best[0].series, "shm_ring:spin");
  EXPECT_DOUBLE_EQ(r[4].best[0].value, 2e6);
  EXPECT_DOUBLE_EQ(r[4].best[1].value, 4e5);
}

TEST(Summary, RatePercentagesRankAtEqualShareOfEachOwnCapacity) {
  ordered_json recs = ordered_json::array();
  recs.push_back(record("rate/pipe/64/50pct", "rate", 30000));
  recs.push_back(record("rate/shm_ring:spin/64/50pct", "rate", 800));
  recs.push_back(record("rate/pipe/64/90pct", "rate", 90000));
  const auto r = rank_transports(recs);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].group, "rate/64/50pct");
  ASSERT_EQ(r[0].best.size(), 2u);
  EXPECT_EQ(r[0].best[0].series, "shm_ring:spin");
  EXPECT_EQ(r[1].group, "rate/64/90pct");
}

TEST(Summary, HeadlineFiguresInTheirUnits) {
  EXPECT_EQ(format_headline("pingpong", 97), "97.0 ns");
  EXPECT_EQ(format_headline("pingpong", 1800), "1.80 us");
  EXPECT_EQ(format_headline("rate", 46100), "46.1 us");
  EXPECT_EQ(format_headline("oneway", 1.9e6), "1.90 ms");
  EXPECT_EQ(format_headline("stream", 24.6e9), "24.6 GB/s");
  EXPECT_EQ(format_headline("stream", 512), "512 B/s");
  EXPECT_EQ(format_headline("fanin", 2.15e6), "2.15 M msgs/s");
  EXPECT_EQ(format_headline("fanin", 500), "500 msgs/s");
  EXPECT_EQ(format_headline("fanout", 1.09e6), "1.09 M msgs/s");
}

TEST(Summary, ListsFailuresAndSkippedOncePerBenchmarkAndThePaths) {
  ordered_json block = {{"benchmarks", sample_records()}};
  block["failures"] = {
      {{"name", "pingpong/udp/64"}, {"error", "peer exited with status 1"}},
      {{"name", "pingpong/udp/64"}, {"error", "peer exited with status 1"}}};
  block["skipped"] = {
      {{"name", "pingpong/zmq_ipc/64"}, {"reason", "unavailable here"}}};
  const std::string text =
      summary_text(block, 192, {"results/x/results.json", ""});
  EXPECT_EQ(text.rfind("Summary: 16 benchmark run(s) in 3m12s\n", 0), 0u)
      << text;
  EXPECT_NE(
      text.find("  pingpong/64            p50     1. shm_ring:spin 90.0 ns, "
                "2. eventfd:spin 1.80 us, 3. pipe 46.0 us\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("  fanout/64/2_consumers  msgs/s  1. shm_ring:spin "
                      "2.00 M msgs/s, 2. zmq_ipc 400 k msgs/s\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Failed (1):\n  pingpong/udp/64: peer exited with "
                      "status 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Skipped (1):\n  pingpong/zmq_ipc/64: unavailable "
                      "here\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("results: results/x/results.json\n"), std::string::npos);
  EXPECT_EQ(text.find("report:"), std::string::npos) << "not known";
  EXPECT_NE(summary_text(block, 1, {"r.json", "r/report.html"})
                .find("report: r/report.html\n"),
            std::string::npos);
}

TEST(Summary, SkippedAreGroupedByReasonAndLongListsCut) {
  ordered_json skipped = ordered_json::array();
  for (int i = 0; i < 13; ++i)
    skipped.push_back({{"name", "fanin/t" + std::to_string(i) + "/64"},
                       {"reason", "reason " + std::to_string(i % 12)}});
  skipped.push_back({{"name", "fanin/u/64"}, {"reason", "reason 0"}});
  skipped.push_back({{"name", "fanin/v/64"}, {"reason", "reason 0"}});
  const auto lines = grouped_by_reason(skipped, "reason");
  ASSERT_EQ(lines.size(), 12u);
  EXPECT_EQ(lines[0],
            "fanin/t0/64, fanin/t12/64, fanin/u/64 and 1 more: "
            "reason 0");
  EXPECT_EQ(lines[1], "fanin/t1/64: reason 1");
  const std::string text = summary_text({{"skipped", skipped}}, 0, {"", ""});
  EXPECT_NE(text.find("Skipped (15):\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  fanin/t9/64: reason 9\n  ... and 2 more in the "
                      "results file\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("fanin/t10/"), std::string::npos) << text;
}

// A one-benchmark run writing into `dir`.
std::vector<std::string> small_run(const ScratchDir& dir) {
  return {"--transports=pipe",         "--sizes=64",
          "--scenarios=pingpong",      "--baselines=none",
          "--benchmark_min_time=0.01", "--out=" + dir.path + "/results.json"};
}

TEST(ProgressCli, PlainLinesOnStderrWithoutATerminalQuietRemovesThem) {
  ScratchDir dir;
  auto r = run_ipcbench(small_run(dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("ipcbench: progress [0/1] starting | "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("ipcbench: progress [1/1] done | "), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("ETA"), std::string::npos);
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << "no carriage return";
  EXPECT_EQ(r.err.find("\x1b["), std::string::npos) << "no escape sequence";
  EXPECT_EQ(r.out.find("ipcbench: progress"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("ETA"), std::string::npos) << r.out;
  // The summary follows the console table on stdout.
  EXPECT_NE(r.out.find("\nSummary: 1 benchmark run(s) in "), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("  pingpong/64  p50     1. pipe "), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("results: " + dir.path + "/results.json\n"),
            std::string::npos)
      << r.out;
  const auto results =
      nlohmann::json::parse(testing::slurp(dir.path + "/results.json"));
  EXPECT_EQ(results.dump().find("progress ["), std::string::npos);

  std::vector<std::string> quiet = small_run(dir);
  quiet.push_back("--quiet");
  r = run_ipcbench(quiet);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("ipcbench: progress"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("Summary: "), std::string::npos) << "still summed up";
}

TEST(ProgressCli, JsonOnStdoutStaysJsonTheSummaryGoesToStderr) {
  ScratchDir dir;
  std::vector<std::string> args = small_run(dir);
  args.push_back("--benchmark_format=json");
  auto r = run_ipcbench(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(nlohmann::json::parse(r.out).contains("benchmarks"));
  EXPECT_NE(r.err.find("Summary: 1 benchmark run(s)"), std::string::npos)
      << r.err;
}

TEST(ProgressCli, QuietTakesNoValue) {
  ScratchDir dir;
  std::vector<std::string> args = small_run(dir);
  args.push_back("--quiet=yes");
  auto r = run_ipcbench(args);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "ipcbench: --quiet: takes no value; give --quiet alone\n");
}

// Everything ipcbench writes to a pseudo-terminal (stdout and stderr
// both), read until it exits or `limit` passes; its exit status.
std::pair<std::string, int> run_in_pty(const std::vector<std::string>& args,
                                       std::chrono::seconds limit) {
  struct winsize ws {};
  ws.ws_row = 24;
  ws.ws_col = 160;
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, &ws);
  if (pid < 0) return {"forkpty failed", -1};
  if (pid == 0) {
    ::setenv("TERM", "xterm", 1);
    std::vector<std::string> all = {IPCBENCH_PATH};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  std::string out;
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    struct pollfd p {
      master, POLLIN, 0
    };
    if (::poll(&p, 1, 200) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO: the child and its peers closed the terminal
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::kill(pid, SIGKILL);  // only if it outlived `limit`
  int st = 0;
  ::waitpid(pid, &st, 0);
  ::close(master);
  return {out, WIFEXITED(st) ? WEXITSTATUS(st) : -1};
}

TEST(ProgressCli, StatusLineOnATerminalKeepsTheTableLinesWhole) {
  ScratchDir dir;
  const auto [out, status] =
      run_in_pty(small_run(dir), std::chrono::seconds(120));
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("\r[0/1] starting | "), std::string::npos) << out;
  EXPECT_NE(out.find("ETA"), std::string::npos) << out;
  EXPECT_NE(out.find("\x1b[K"), std::string::npos) << "cleared: " << out;
  EXPECT_EQ(out.find("ipcbench: progress"), std::string::npos) << "no plain";
  // The table's row and the summary begin lines of their own: before
  // them on their line, at most carriage returns, line clears and colour.
  // (The status line shows the name too, after "] ".)
  for (const std::string row : {"pingpong/pipe/64", "Summary: "}) {
    auto at = out.find(row);
    while (at != std::string::npos && at >= 2 && out.substr(at - 2, 2) == "] ")
      at = out.find(row, at + 1);
    ASSERT_NE(at, std::string::npos) << row << " in " << out;
    std::string before = out.substr(0, at);
    before = before.substr(before.rfind('\n') + 1);
    for (const std::string junk : {"\r", "\x1b[K"}) {
      for (auto p = before.find(junk); p != std::string::npos;
           p = before.find(junk))
        before.erase(p, junk.size());
    }
    EXPECT_TRUE(before.empty() || before.find_first_not_of(
                                      "\x1b[0123456789;m") == std::string::npos)
        << row << " follows '" << before << "'";
  }
}

}  // namespace
}  // namespace ipcb::bench
