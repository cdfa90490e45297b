// CPU cost measured the same way on both sides: the loop's thread plus the
// transport's own threads, over the timed phase only; rate's pacing apart;
// each pair's cost recorded. No durations are asserted: only which CPU time
// is counted where, and ratios between two sides of one symmetric run.
#include "bench/cpu_cost.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "sys/threads.hpp"
#include "test_util.hpp"
#include "transports/transport.hpp"

namespace ipcb {
namespace {

using testing::run_ipcbench;
using testing::ScratchDir;

// Burns about `ns` of the calling thread's CPU time.
void burn(std::int64_t ns) {
  const std::int64_t until = sys::this_thread_cpu_ns() + ns;
  volatile std::uint64_t x = 0;
  while (sys::this_thread_cpu_ns() < until) x = x + 1;
}

// A named thread that burns CPU whenever asked.
struct Worker {
  std::atomic<int> tid{0};
  std::atomic<std::int64_t> work{0};  // set by run(), 0 once burnt
  std::atomic<bool> stop{false};
  std::thread thread{[this] {
    ::pthread_setname_np(::pthread_self(), "ipcbtest/w");
    tid = static_cast<int>(::syscall(SYS_gettid));
    while (!stop) {
      if (const std::int64_t ns = work.load()) {
        burn(ns);
        work = 0;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }};
  Worker() {
    while (tid == 0)
      std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ~Worker() {
    stop = true;
    thread.join();
  }
  // Waits asleep, so the caller's own CPU time stays near zero however long
  // the worker takes on a busy machine.
  void run(std::int64_t ns) {
    work = ns;
    while (work != 0)
      std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
};

// A transport with no traffic whose own threads are given.
class Idle final : public transports::Transport {
 public:
  explicit Idle(std::vector<int> own) : own_(std::move(own)) {}
  void prepare() override {}
  void connect(transports::Role) override {}
  void send(const std::byte*, std::size_t) override {}
  void recv(std::byte*, std::size_t) override {}
  void teardown() noexcept override {}
  std::vector<int> own_threads() const override { return own_; }

 private:
  std::vector<int> own_;
};

TEST(Threads, FoundByNameAndTheirCpuTimeRead) {
  Worker w;
  EXPECT_EQ(sys::threads_named("ipcbtest/"), std::vector<int>{w.tid});
  EXPECT_TRUE(sys::threads_named("no such thread/").empty());
  const auto before = sys::thread_usage(w.tid);
  ASSERT_TRUE(before.has_value());
  w.run(20'000'000);
  const auto after = sys::thread_usage(w.tid);
  ASSERT_TRUE(after.has_value());
  EXPECT_GE(after->cpu_ns - before->cpu_ns, 20'000'000);
  // Not a thread of this process: absent, not an error.
  EXPECT_FALSE(sys::thread_usage(1).has_value());
}

TEST(CpuMeter, CountsTheTransportsOwnThreadsOnlyInTheTimedPhase) {
  Worker w;
  Idle t({w.tid});
  bench::CpuMeter meter(t);
  w.run(30'000'000);  // warm-up: before the timed phase begins
  burn(30'000'000);
  bench::timed_phase_begins();
  w.run(20'000'000);
  bench::timed_phase_ends();
  burn(30'000'000);  // after it: sorting samples, say
  w.run(30'000'000);
  const bench::CpuCost c = meter.cost();
  EXPECT_GE(c.transport_threads_ns, 20'000'000);
  EXPECT_LT(c.transport_threads_ns, 50'000'000);
  EXPECT_LT(c.user_ns + c.system_ns, 30'000'000);
  // Without marks the whole loop is measured.
  bench::CpuMeter whole(t);
  burn(10'000'000);
  EXPECT_GE(whole.cost().transport_ns(), 10'000'000);
}

TEST(CpuMeter, MarksWithoutAMeterDoNothing) {
  bench::timed_phase_begins();
  bench::timed_phase_ends();
}

nlohmann::json run_ok(std::vector<std::string> args, const ScratchDir& dir) {
  const std::string out = dir.path + "/results.json";
  args.push_back("--out=" + out);
  args.push_back("--baselines=none");
  auto r = run_ipcbench(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return testing::load_results(out);
}

// ZeroMQ's I/O thread does most of each side's work: counted on both sides,
// a symmetric protocol costs about the same on each. A shared machine can
// preempt one side for part of a short run, so the bound applies to the
// median ratio of five repetitions, not to any single one.
TEST(CpuCost, ZeroMqPingPongCostsAboutTheSameOnBothSides) {
#if defined(__SANITIZE_ADDRESS__)
  // Instrumentation slows the two sides' code unequally (here the peer's
  // by about 1.6x): a cost ratio means something in the Release build,
  // where this test runs in CI too.
  GTEST_SKIP() << "CPU-cost symmetry is not measured under AddressSanitizer";
#endif
  ScratchDir dir;
  auto doc =
      run_ok({"--transports=zmq_ipc", "--sizes=64", "--scenarios=pingpong",
              "--benchmark_min_time=0.1", "--benchmark_repetitions=5"},
             dir);
  const auto& recs = doc["ipcbench"]["benchmarks"];
  ASSERT_EQ(recs.size(), 5u);
  std::vector<double> ratios;
  std::string seen;
  for (const auto& rec : recs) {
    ASSERT_FALSE(rec.contains("error")) << rec["error"];
    const auto& cpu = rec["cpu"];
    EXPECT_EQ(cpu["per"], "round_trip");
    const double d = cpu["driver"]["ns_per_msg"];
    const double p = cpu["peer"]["ns_per_msg"];
    EXPECT_GT(cpu["driver"]["transport_threads_ns_per_msg"].get<double>(), 0);
    EXPECT_GT(cpu["peer"]["transport_threads_ns_per_msg"].get<double>(), 0);
    ratios.push_back(std::max(d, p) / std::min(d, p));
    seen +=
        " (driver " + std::to_string(d) + ", peer " + std::to_string(p) + ")";
  }
  std::sort(ratios.begin(), ratios.end());
  // Counted one-sidedly it was 5.6x (5 us against 28 us); issue 11 sets
  // the bound at 1.5x.
  EXPECT_LE(ratios[2], 1.5) << "ns per round trip:" << seen;
}

TEST(CpuCost, RatePacingIsReportedApartFromTheSend) {
  ScratchDir dir;
  auto doc = run_ok({"--transports=pipe", "--sizes=64", "--scenarios=rate",
                     "--rate=10K", "--benchmark_min_time=0.2"},
                    dir);
  const auto& rec = doc["ipcbench"]["benchmarks"].at(0);
  ASSERT_FALSE(rec.contains("error")) << rec["error"];
  EXPECT_EQ(rec["rate"]["pacing"]["method"], "yield");
  EXPECT_EQ(rec["cpu"]["per"], "message");
  const auto& driver = rec["cpu"]["driver"];
  const double pacing = driver["pacing_ns_per_msg"];
  const double send = driver["ns_per_msg"];
  // The period is 100 us; yielding until each slot fills most of it, and
  // none of that is the transport's send cost.
  EXPECT_GT(pacing, 0);
  EXPECT_LT(send, 50'000) << "the send cost still holds the pacing";
  const auto& gb = doc["benchmarks"].at(0);
  EXPECT_TRUE(gb.contains("cpu_pacing_ns_per_msg"));
  EXPECT_DOUBLE_EQ(gb["cpu_driver_ns_per_msg"].get<double>(), send);
}

TEST(CpuCost, EveryPairsCostIsRecorded) {
  ScratchDir dir;
  auto doc =
      run_ok({"--transports=pipe", "--sizes=64", "--scenarios=pingpong,stream",
              "--pairs=2", "--benchmark_min_time=0.02"},
             dir);
  for (const auto& rec : doc["ipcbench"]["benchmarks"]) {
    ASSERT_FALSE(rec.contains("error")) << rec["error"];
    ASSERT_EQ(rec["pairs"].size(), 2u) << rec["name"];
    for (const auto& pair : rec["pairs"]) {
      EXPECT_GT(pair["cpu"]["driver_ns"].get<double>(), 0) << rec["name"];
      EXPECT_GT(pair["cpu"]["peer_ns"].get<double>(), 0) << rec["name"];
    }
    // pipe has no threads or daemon of its own: nothing is shared
    EXPECT_FALSE(rec["cpu"].contains("shared")) << rec["name"];
  }
}

TEST(CpuMeter, KeepsEachOwnThreadsTimeApart) {
  Worker a, b;
  Idle t({a.tid, b.tid});
  bench::CpuMeter meter(t);
  a.run(20'000'000);
  b.run(10'000'000);
  const bench::CpuCost c = meter.cost();
  ASSERT_EQ(c.thread_ns_by_tid.size(), 2u);
  EXPECT_GE(c.thread_ns_by_tid.at(a.tid), 20'000'000);
  EXPECT_GE(c.thread_ns_by_tid.at(b.tid), 10'000'000);
  EXPECT_EQ(c.thread_ns_by_tid.at(a.tid) + c.thread_ns_by_tid.at(b.tid),
            c.transport_threads_ns);
}

// Two pairs' drivers that both measured thread 7 and daemon 900 (one
// process, overlapping timed phases): each counts once, at its largest.
TEST(CpuCost, WhatThePairsShareCountsOnce) {
  bench::CpuCost a, b, c;
  a.user_ns = 100;
  a.transport_threads_ns = 30 + 5;
  a.thread_ns_by_tid = {{7, 30}, {8, 5}};
  a.daemon_ns = 400;
  a.daemon_ns_by_pid = {{900, 400}};
  b.user_ns = 200;
  b.transport_threads_ns = 50 + 6;
  b.thread_ns_by_tid = {{7, 50}, {9, 6}};
  b.daemon_ns = 450;
  b.daemon_ns_by_pid = {{900, 450}};
  bool shared = false;
  const bench::CpuCost sum = bench::counted_once({a, b}, &shared);
  EXPECT_TRUE(shared);
  EXPECT_EQ(sum.user_ns, 300);
  EXPECT_EQ(sum.transport_threads_ns, 50 + 5 + 6);
  EXPECT_EQ(sum.daemon_ns, 450);
  EXPECT_EQ(sum.thread_ns_by_tid.at(7), 50);
  EXPECT_EQ(sum.transport_ns(), 300 + 61);
  // Nothing in common: a plain sum.
  c.user_ns = 1;
  c.transport_threads_ns = 4;
  c.thread_ns_by_tid = {{10, 4}};
  const bench::CpuCost plain = bench::counted_once({a, c}, &shared);
  EXPECT_FALSE(shared);
  EXPECT_EQ(plain.transport_threads_ns, 35 + 4);
  EXPECT_EQ(plain.daemon_ns, 400);
}

// gRPC's threads serve the whole driver process: with --pairs, both pairs'
// drivers see them, and the record says they count once.
TEST(CpuCost, PairsSharingGrpcThreadsAreToldSo) {
  ScratchDir dir;
  auto doc =
      run_ok({"--transports=grpc_stream", "--sizes=64", "--scenarios=pingpong",
              "--wait=block", "--pairs=2", "--benchmark_min_time=0.05"},
             dir);
  bool seen = false;
  for (const auto& rec : doc["ipcbench"]["benchmarks"]) {
    if (rec.value("scenario", "") != "pingpong") continue;
    ASSERT_FALSE(rec.contains("error")) << rec["error"];
    ASSERT_TRUE(rec["cpu"].contains("shared")) << rec.dump();
    seen = true;
  }
  EXPECT_TRUE(seen);
}

// A percentile without enough samples is missing, with the count, never
// the maximum under another name.
TEST(Percentiles, TooFewSamplesLeaveTheTailMissing) {
  ScratchDir dir;
  auto doc = run_ok({"--transports=pipe", "--sizes=64", "--scenarios=pingpong",
                     "--benchmark_min_time=0.005"},
                    dir);
  const auto& rec = doc["ipcbench"]["benchmarks"].at(0);
  const auto& gb = doc["benchmarks"].at(0);
  const auto& lat = rec["latency"];
  const std::int64_t n = lat["count"];
  ASSERT_LT(n, 10000) << "too many samples for this test";
  EXPECT_FALSE(lat["percentiles_ns"].contains("99.9"));
  EXPECT_EQ(lat["percentiles_missing"]["samples_needed"]["99.9"], 10000);
  EXPECT_FALSE(gb.contains("rtt_p999_ns"));
  EXPECT_EQ(lat["percentiles_ns"].contains("99"), n >= 1000);
  EXPECT_EQ(gb.contains("rtt_p99_ns"), n >= 1000);
  EXPECT_TRUE(lat["percentiles_ns"].contains("50"));
  EXPECT_TRUE(lat["percentiles_ns"].contains("100"));
}

}  // namespace
}  // namespace ipcb
