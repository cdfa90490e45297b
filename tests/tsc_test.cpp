// The round-trip timer (harness/tsc.hpp): invariant-TSC detection from
// /proc/cpuinfo's flags, ticks -> ns, the TSC against CLOCK_MONOTONIC, the
// --timer flag, and what pingpong records with either timer.
#include "harness/tsc.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "bench/job.hpp"
#include "bench/options.hpp"
#include "harness/clock.hpp"
#include "harness/stats.hpp"
#include "test_util.hpp"

namespace ipcb {
namespace {

using harness::TickScale;
using harness::tsc_support_from_flags;

// The flags of the machine this was written on (a KVM guest: invariant
// TSC, no rdtscp).
constexpr char kGuestFlags[] =
    "fpu vme de pse tsc msr pae mce cx8 apic sep lm constant_tsc rep_good "
    "nopl xtopology tsc_reliable nonstop_tsc cpuid tsc_known_freq pni";

TEST(TscSupport, InvariantTscFromFlags) {
  auto s = tsc_support_from_flags(kGuestFlags, true);
  EXPECT_TRUE(s.usable) << s.reason;
  EXPECT_FALSE(s.rdtscp);
  EXPECT_EQ(s.reason, "");
  s = tsc_support_from_flags(std::string(kGuestFlags) + " rdtscp", true);
  EXPECT_TRUE(s.usable);
  EXPECT_TRUE(s.rdtscp);
}

TEST(TscSupport, MissingFlagsAreNamed) {
  auto s = tsc_support_from_flags("fpu tsc constant_tsc pni", true);
  EXPECT_FALSE(s.usable);
  EXPECT_NE(s.reason.find("nonstop_tsc"), std::string::npos) << s.reason;
  EXPECT_EQ(s.reason.find("constant_tsc"), std::string::npos) << s.reason;
  // Whole words only: a flag that merely starts with the name is not it.
  s = tsc_support_from_flags("tsc constant_tsc_x nonstop_tsc_y", true);
  EXPECT_FALSE(s.usable);
  EXPECT_NE(s.reason.find("constant_tsc, nonstop_tsc"), std::string::npos)
      << s.reason;
  s = tsc_support_from_flags("", true);
  EXPECT_FALSE(s.usable);
}

TEST(TscSupport, ReadsTheFlagsLineOfAWholeCpuinfo) {
  const std::string cpuinfo =
      "processor\t: 0\nvendor_id\t: AuthenticAMD\n"
      "power management: nonstop_tsc constant_tsc\n"  // not the flags line
      "flags\t\t: fpu tsc constant_tsc nonstop_tsc\nbugs\t\t: sysret_ss_attrs\n"
      "\nprocessor\t: 1\nflags\t\t: fpu\n";
  EXPECT_TRUE(tsc_support_from_flags(cpuinfo, true).usable);
  const std::string without =
      "processor\t: 0\nflags\t\t: fpu tsc constant_tsc\n"
      "power management: nonstop_tsc\n";
  EXPECT_FALSE(tsc_support_from_flags(without, true).usable);
}

TEST(TscSupport, NotOnOtherArchitectures) {
  auto s = tsc_support_from_flags(kGuestFlags, false);
  EXPECT_FALSE(s.usable);
  EXPECT_NE(s.reason.find("x86"), std::string::npos) << s.reason;
}

TEST(TickScale, ConvertsExactlyOnKnownInputs) {
  EXPECT_EQ(TickScale::for_hz(1e9).to_ns(123456789), 123456789);
  EXPECT_EQ(TickScale::for_hz(1e9).to_ns(0), 0);
  EXPECT_EQ(TickScale::for_hz(2.5e9).to_ns(2500), 1000);
  EXPECT_EQ(TickScale::for_hz(2e9).to_ns(3), 2);  // 1.5 rounds up
  EXPECT_EQ(TickScale::for_hz(3e9).to_ns(3), 1);
  EXPECT_EQ(TickScale::for_hz(3e9).to_ns(3'000'000'000), 1'000'000'000);
  // An hour at 3 GHz, and a century at 1 GHz: no overflow.
  EXPECT_EQ(TickScale::for_hz(3e9).to_ns(10'800'000'000'000),
            3'600'000'000'000);
  EXPECT_EQ(TickScale::for_hz(1e9).to_ns(3'155'760'000'000'000'000),
            3'155'760'000'000'000'000);
}

// Two clocks measure one sleep: they must agree; how long it lasted is not
// asserted.
TEST(RoundTripTimer, TscAgreesWithClockMonotonicOnASleep) {
  if (!harness::tsc_support().usable)
    GTEST_SKIP() << harness::tsc_support().reason;
  const harness::RoundTripTimer timer =
      harness::make_round_trip_timer(harness::TimerChoice::kTsc);
  ASSERT_TRUE(timer.tsc) << timer.reason;
  ASSERT_GT(timer.calibration.hz, 0);
  EXPECT_EQ(timer.calibration.windows_hz.size(), 3u);
  // A preemption between the two clocks' reads lands in one attempt's
  // difference, not in the scale: the closest of five attempts must agree.
  double best = 1e18;
  std::string seen;
  for (int attempt = 0; attempt < 5; ++attempt) {
    const std::uint64_t t0 = harness::tsc_start();
    const std::int64_t m0 = harness::now_ns();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const std::int64_t m1 = harness::now_ns();
    const std::uint64_t t1 = harness::tsc_stop(timer.rdtscp);
    const auto tsc_ns = timer.scale.to_ns(static_cast<std::int64_t>(t1 - t0));
    const auto mono_ns = m1 - m0;
    // Within 2 % or 200 µs, whichever is larger.
    const double tolerance = std::max(0.02 * mono_ns, 200'000.0);
    best = std::min(
        best, std::abs(static_cast<double>(tsc_ns - mono_ns)) / tolerance);
    seen += " (tsc " + std::to_string(tsc_ns) + " ns, CLOCK_MONOTONIC " +
            std::to_string(mono_ns) + " ns)";
  }
  EXPECT_LE(best, 1.0) << seen;
}

TEST(RoundTripTimer, RecordsItsSourceCostAndReason) {
  const auto clock =
      harness::make_round_trip_timer(harness::TimerChoice::kClock);
  EXPECT_FALSE(clock.tsc);
  auto j = clock.to_json();
  EXPECT_EQ(j["source"], "clock_monotonic");
  EXPECT_EQ(j["reason"], "--timer=clock");
  EXPECT_GE(j["read_cost_ns"].get<double>(), 0);
  EXPECT_FALSE(j.contains("tsc_hz"));
  if (!harness::tsc_support().usable) GTEST_SKIP();
  const auto tsc = harness::make_round_trip_timer(harness::TimerChoice::kAuto);
  j = tsc.to_json();
  ASSERT_EQ(j["source"], "tsc") << j.dump();
  EXPECT_GT(j["tsc_hz"].get<double>(), 0);
  EXPECT_GE(j["calibration"]["spread"].get<double>(), 0);
  EXPECT_GT(j["read_cost_ns"].get<double>(), 0);
  EXPECT_EQ(j["read_cost_subtracted"], false);
  EXPECT_FALSE(j.contains("reason"));
}

TEST(TimerFlag, ParsesAndRefuses) {
  EXPECT_EQ(bench::parse_options({}).timer, harness::TimerChoice::kAuto);
  EXPECT_EQ(bench::parse_options({"--timer=clock"}).timer,
            harness::TimerChoice::kClock);
  EXPECT_THROW(bench::parse_options({"--timer=rdtsc"}), bench::UsageError);
  EXPECT_THROW(bench::parse_options({"--timer="}), bench::UsageError);
  if (harness::tsc_support().usable) {
    EXPECT_EQ(bench::parse_options({"--timer=tsc"}).timer,
              harness::TimerChoice::kTsc);
  } else {
    EXPECT_THROW(bench::parse_options({"--timer=tsc"}), bench::UsageError);
  }
}

// A short shm_ring spin ping-pong at 64 B (a round trip well under 1 µs)
// with `timer`; the results file.
nlohmann::json fast_pingpong(const std::string& timer) {
  testing::ScratchDir dir;
  const std::string out = dir.path + "/results.json";
  auto r = testing::run_ipcbench({"--transports=shm_ring", "--wait=spin",
                                  "--sizes=64", "--scenarios=pingpong",
                                  "--baselines=none", "--timer=" + timer,
                                  "--benchmark_min_time=0.05", "--out=" + out});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(testing::slurp(out));
}

// On the clock, a sample lasts at least 1 µs: the batch is the round trips
// that take, rounded up, from 1 to 1000.
TEST(RoundTripTimer, ClockBatchIsSizedToLastAMicrosecond) {
  using bench::batch_for_round_trip;
  EXPECT_EQ(bench::kMinBatchSampleNs, 1000);
  EXPECT_EQ(batch_for_round_trip(100), 10);
  EXPECT_EQ(batch_for_round_trip(333), 4);  // 3 x 333 ns is 999 ns
  EXPECT_EQ(batch_for_round_trip(999), 2);
  EXPECT_EQ(batch_for_round_trip(1000), 1);  // long enough
  EXPECT_EQ(batch_for_round_trip(25'000), 1);
  EXPECT_EQ(batch_for_round_trip(1), 1000);  // at most 1000
  EXPECT_EQ(batch_for_round_trip(0), 1);     // not measured
  EXPECT_EQ(batch_for_round_trip(-5), 1);
}

TEST(RoundTripTimer, ClockFallbackRecordsBatchMeansNamedSo) {
  const auto doc = fast_pingpong("clock");
  const auto& timer = doc["ipcbench"]["environment"]["timer"];
  EXPECT_EQ(timer["source"], "clock_monotonic");
  EXPECT_EQ(timer["reason"], "--timer=clock");
  const auto& rec = doc["ipcbench"]["benchmarks"].at(0);
  const auto& lat = rec["latency"];
  EXPECT_EQ(lat["timer"], "clock_monotonic");
  // The batch comes from the previous invocation's median round trip: above
  // 1 when that was under 1 µs, as it is on an idle machine; a loaded one
  // (a spinning pair sharing a CPU) may leave it at 1. Either way the
  // record is named for what it holds.
  const auto batch = lat["batch"].get<std::int64_t>();
  ASSERT_GE(batch, 1) << lat.dump();
  const bool means = batch > 1;
  EXPECT_EQ(lat["kind"], means ? "batch_mean" : "round_trip");
  const std::string mine = means ? "rtt_batch_mean_" : "rtt_";
  const std::string other = means ? "rtt_" : "rtt_batch_mean_";
  const auto& gb = doc["benchmarks"].at(0);
  EXPECT_TRUE(gb.contains(mine + "p50_ns")) << gb.dump();
  // A tail percentile only with the samples it needs (a slow or shared
  // machine may time fewer than that in 0.05 s).
  const auto count = lat["count"].get<std::int64_t>();
  EXPECT_EQ(gb.contains(mine + "p99_ns"), count >= harness::samples_needed(99))
      << "count " << count;
  for (const char* k : {"p50_ns", "p99_ns", "p999_ns", "min_ns", "max_ns"})
    EXPECT_FALSE(gb.contains(other + k)) << other + k;
}

TEST(RoundTripTimer, TscTimesEachRoundTripOnItsOwn) {
  if (!harness::tsc_support().usable)
    GTEST_SKIP() << harness::tsc_support().reason;
  const auto doc = fast_pingpong("tsc");
  const auto& timer = doc["ipcbench"]["environment"]["timer"];
  EXPECT_EQ(timer["source"], "tsc");
  EXPECT_GT(timer["tsc_hz"].get<double>(), 0);
  const auto& rec = doc["ipcbench"]["benchmarks"].at(0);
  const auto& lat = rec["latency"];
  EXPECT_EQ(lat["batch"], 1);
  EXPECT_EQ(lat["kind"], "round_trip");
  EXPECT_EQ(lat["timer"], "tsc");
  const auto& gb = doc["benchmarks"].at(0);
  // Google Benchmark's iterations are the round trips, one sample each, and
  // its time per iteration is the samples' mean round trip.
  EXPECT_EQ(gb["iterations"], lat["count"]);
  EXPECT_EQ(rec["iterations"], lat["count"]);
  ASSERT_EQ(gb["time_unit"], "ns");
  const double mean = lat["mean_ns"].get<double>();
  EXPECT_NEAR(gb["real_time"].get<double>(), mean, 0.01 * mean + 1);
  // Each round trip is a sample, so the per-round-trip percentiles are
  // there; a tail one only with the samples it needs (a slow or shared
  // machine may time fewer than that in 0.05 s).
  EXPECT_TRUE(gb.contains("rtt_p50_ns")) << gb.dump();
  const auto count = lat["count"].get<std::int64_t>();
  EXPECT_EQ(gb.contains("rtt_p99_ns"), count >= harness::samples_needed(99))
      << "count " << count;
  EXPECT_FALSE(gb.contains("rtt_batch_mean_p50_ns"));
  EXPECT_FALSE(gb.contains("rtt_batch_mean_p99_ns"));
}

}  // namespace
}  // namespace ipcb
