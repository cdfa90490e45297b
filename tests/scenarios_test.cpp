// Bookkeeping of each scenario on real processes: counts, ordering,
// integrity failures detected, missed slots counted under an impossible
// rate, CPU cost recorded, placements swept. No durations are asserted.
#include <gtest/gtest.h>

#include <climits>
#include <nlohmann/json.hpp>
#include <set>

#include "bench/framing.hpp"
#include "bench/job.hpp"
#include "test_util.hpp"

namespace ipcb {
namespace {

using testing::run_ipcbench;
using testing::ScratchDir;

nlohmann::json run_ok(std::vector<std::string> args, const ScratchDir& dir) {
  const std::string out = dir.path + "/results.json";
  args.push_back("--out=" + out);
  args.push_back("--benchmark_min_time=0.01");
  args.push_back("--baselines=none");
  auto r = run_ipcbench(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return testing::load_results(out);
}

TEST(Verifier, CountsCorruptionGapsAndDuplicatesExactly) {
  for (std::size_t n : {std::size_t{64}, std::size_t{4097}}) {
    std::vector<std::byte> msg(n);
    bench::fill_pattern(msg.data(), n, 9);
    bench::Verifier tx(n), rx(n);
    auto deliver = [&](std::uint64_t seq, bool flip) {
      tx.stamp(msg.data(), seq);
      if (flip) msg[n - 1] ^= std::byte{1};
      rx.check(msg.data());
      if (flip) msg[n - 1] ^= std::byte{1};
    };
    deliver(0, false);
    deliver(1, false);
    deliver(2, true);   // corrupt
    deliver(5, false);  // 3 and 4 missing
    deliver(5, false);  // duplicate
    deliver(4, false);  // late: counted as reordered/duplicate
    deliver(6, false);
    EXPECT_EQ(rx.counts().checked, 7);
    EXPECT_EQ(rx.counts().corrupt, 1);
    EXPECT_EQ(rx.counts().gaps, 2);
    EXPECT_EQ(rx.counts().duplicates, 2);
  }
}

TEST(Verifier, ShortMessagesUseASequencePattern) {
  std::vector<std::byte> msg(8);
  bench::Verifier tx(8), rx(8);
  tx.stamp(msg.data(), 0);
  rx.check(msg.data());
  tx.stamp(msg.data(), 2);  // message 1 lost: no longer matches
  rx.check(msg.data());
  EXPECT_EQ(rx.counts().checked, 2);
  EXPECT_EQ(rx.counts().corrupt, 1);
}

TEST(Scenarios, VerifiedRunsCheckEveryMessageOnBothSides) {
  ScratchDir dir;
  auto doc = run_ok({"--transports=pipe,unix_stream", "--sizes=16,4K",
                     "--scenarios=pingpong,stream", "--verify"},
                    dir);
  for (const auto& rec : doc["ipcbench"]["benchmarks"]) {
    ASSERT_TRUE(rec.contains("integrity")) << rec["name"];
    const auto& peer = rec["integrity"]["peer_received"];
    const std::int64_t warm = rec["warmup_messages"].get<std::int64_t>();
    const std::int64_t iters = rec["iterations"].get<std::int64_t>();
    if (rec["scenario"] == "stream") {
      EXPECT_EQ(peer["checked"], warm + iters);
    } else {
      const std::int64_t msgs =
          warm + iters * rec["latency"]["batch"].get<std::int64_t>();
      EXPECT_EQ(peer["checked"], msgs);
      EXPECT_EQ(rec["integrity"]["driver_received"]["checked"], msgs);
    }
    EXPECT_EQ(peer["corrupt"], 0);
    EXPECT_EQ(peer["gaps"], 0);
    EXPECT_EQ(rec["verify"], true);
  }
}

TEST(Scenarios, CorruptedReplyFailsTheBenchmarkWithACount) {
  ScratchDir dir;
  const std::string out = dir.path + "/results.json";
  auto r = run_ipcbench({"--transports=pipe", "--sizes=64,32", "--verify",
                         "--scenarios=pingpong", "--benchmark_min_time=0.01",
                         "--inject-peer-fault=corrupt@run:5", "--out=" + out});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto doc = testing::load_results(out);
  ASSERT_EQ(doc["ipcbench"]["failures"].size(), 2u);
  for (const auto& f : doc["ipcbench"]["failures"]) {
    std::string e = f["error"];
    EXPECT_NE(e.find("integrity check failed at the driver: 1 corrupt"),
              std::string::npos)
        << e;
  }
}

TEST(Scenarios, OnewayRecordsBothDirectionsForEveryMessage) {
  ScratchDir dir;
  auto doc = run_ok(
      {"--transports=pipe,tcp", "--sizes=16,64K", "--scenarios=oneway"}, dir);
  ASSERT_EQ(doc["ipcbench"]["benchmarks"].size(), 4u);
  for (const auto& rec : doc["ipcbench"]["benchmarks"]) {
    const auto n = rec["iterations"].get<std::int64_t>();
    EXPECT_EQ(rec["oneway"]["driver_to_peer"]["count"], n);
    EXPECT_EQ(rec["oneway"]["peer_to_driver"]["count"], n);
    EXPECT_EQ(rec["latency"]["count"], n);
    // Each one-way trip is part of a round trip: both are below the RTT max.
    EXPECT_LE(rec["oneway"]["driver_to_peer"]["min_ns"].get<double>(),
              rec["latency"]["max_ns"].get<double>());
  }
  for (std::size_t i = 0; i < doc["benchmarks"].size(); ++i) {
    const auto& b = doc["benchmarks"][i];
    const auto n = doc["ipcbench"]["benchmarks"][i]["iterations"];
    EXPECT_TRUE(b.contains("oneway_a2b_p50_ns"));
    // p99 needs 1 000 samples (harness/stats.hpp).
    EXPECT_EQ(b.contains("oneway_b2a_p99_ns"), n >= 1000) << n;
    EXPECT_TRUE(b.contains("rtt_half_p50_ns"));
  }
}

TEST(Scenarios, OnewayRefusesMessagesTooShortForTimestamps) {
  ScratchDir dir;
  auto doc =
      run_ok({"--transports=pipe", "--sizes=8,64", "--scenarios=oneway"}, dir);
  ASSERT_EQ(doc["ipcbench"]["skipped"].size(), 1u);
  EXPECT_NE(doc["ipcbench"]["skipped"][0]["reason"].get<std::string>().find(
                "at least 16 B"),
            std::string::npos);
}

TEST(Scenarios, ImpossibleRateCountsMissedSlots) {
  ScratchDir dir;
  auto doc = run_ok(
      {"--transports=pipe", "--sizes=64", "--scenarios=rate", "--rate=100M,1K"},
      dir);
  ASSERT_EQ(doc["ipcbench"]["benchmarks"].size(), 2u);
  for (const auto& rec : doc["ipcbench"]["benchmarks"]) {
    const auto n = rec["iterations"].get<std::int64_t>();
    EXPECT_EQ(rec["latency"]["count"], n);
    EXPECT_EQ(rec["rate"]["messages"], n);
    EXPECT_EQ(rec["latency"]["kind"], "from_intended_send");
    if (rec["rate"]["offered_per_s"] == 1e8) {
      // A pipe cannot take 100 M messages/s: most slots are missed and the
      // achieved rate is below the offered one.
      EXPECT_GT(rec["rate"]["missed_slots"].get<std::int64_t>(), n / 2);
      EXPECT_LT(rec["rate"]["achieved_per_s"].get<double>(), 1e8);
    }
  }
}

TEST(Scenarios, RateAsAPercentageOffersThatShareOfTheMeasuredStream) {
  ScratchDir dir;
  auto doc = run_ok(
      {"--transports=pipe", "--sizes=64", "--scenarios=rate", "--rate=50%"},
      dir);
  ASSERT_EQ(doc["ipcbench"]["benchmarks"].size(), 1u);
  const auto& rec = doc["ipcbench"]["benchmarks"][0];
  EXPECT_EQ(rec["name"], "rate/pipe/64/50pct");
  ASSERT_FALSE(rec.contains("error")) << rec["error"];
  EXPECT_EQ(rec["offered_rate_percent"], 50.0);
  const auto& rel = rec["rate"]["relative"];
  EXPECT_EQ(rel["asked"], "percent");
  EXPECT_EQ(rel["percent"], 50.0);
  const double stream = rel["stream_msgs_per_s"].get<double>();
  EXPECT_GT(stream, 0);
  EXPECT_DOUBLE_EQ(rec["rate"]["offered_per_s"].get<double>(), stream * 0.5);
  EXPECT_EQ(rec["offered_rate_per_s"], rec["rate"]["offered_per_s"]);
  EXPECT_NE(rel["stream_source"].get<std::string>().find("stream/pipe/64"),
            std::string::npos);
  EXPECT_EQ(rec["rate"]["messages"], rec["iterations"]);
  EXPECT_EQ(doc["benchmarks"][0]["name"], "rate/pipe/64/50pct");
}

TEST(Scenarios, AbsoluteRateAboveTheMeasuredStreamIsWarnedNotRefused) {
  ScratchDir dir;
  auto doc = run_ok(
      {"--transports=pipe", "--sizes=64", "--scenarios=rate", "--rate=100M"},
      dir);
  ASSERT_EQ(doc["ipcbench"]["benchmarks"].size(), 1u);
  const auto& rec = doc["ipcbench"]["benchmarks"][0];
  EXPECT_EQ(rec["name"], "rate/pipe/64/100000000_per_s");
  EXPECT_EQ(rec["rate"]["offered_per_s"], 1e8);
  const auto& rel = rec["rate"]["relative"];
  EXPECT_EQ(rel["asked"], "absolute");
  EXPECT_EQ(rel["above_capacity"], true);
  bool warned = false;
  for (const auto& w : doc["ipcbench"]["warnings"])
    warned |= w.get<std::string>().find("rate/pipe/64/100000000_per_s") !=
              std::string::npos;
  EXPECT_TRUE(warned) << doc["ipcbench"]["warnings"];
}

TEST(Scenarios, RateFailsWithTheCalibrationsCauseAndTheSuiteGoesOn) {
  // A peer that exits fails the calibration stream run, and so every
  // percentage benchmark of the case, with that cause; the run goes on to
  // the next benchmarks (here they fail too: every peer exits).
  ScratchDir dir;
  const std::string out = dir.path + "/results.json";
  auto r = run_ipcbench(
      {"--transports=pipe", "--sizes=64", "--scenarios=rate,pingpong",
       "--rate=10%,90%", "--inject-peer-fault=exit@connect",
       "--benchmark_min_time=0.01", "--baselines=none", "--out=" + out});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto doc = testing::load_results(out);
  std::size_t rates = 0;
  for (const auto& rec : doc["ipcbench"]["benchmarks"]) {
    if (rec["scenario"] != "rate") continue;
    ++rates;
    ASSERT_TRUE(rec.contains("error")) << rec;
    EXPECT_EQ(rec["error"].get<std::string>().rfind(
                  "calibration: stream/pipe/64 failed: ", 0),
              0u)
        << rec["error"];
  }
  EXPECT_EQ(rates, 2u);
  EXPECT_EQ(doc["ipcbench"]["benchmarks"].size(), 3u);
}

TEST(Scenarios, RateReportsTheSendersLagApartFromTheTransport) {
  ScratchDir dir;
  auto doc = run_ok(
      {"--transports=pipe", "--sizes=64", "--scenarios=rate", "--rate=100M,1K"},
      dir);
  ASSERT_EQ(doc["ipcbench"]["benchmarks"].size(), 2u);
  for (const auto& rec : doc["ipcbench"]["benchmarks"]) {
    SCOPED_TRACE(rec["name"].get<std::string>());
    const auto n = rec["iterations"].get<std::int64_t>();
    const auto& lag = rec["rate"]["sender_lag"];
    const auto& transit = rec["rate"]["latency_from_actual_send"];
    EXPECT_EQ(lag["count"], n);
    EXPECT_EQ(transit["count"], n);
    // The sender never sends before its slot.
    EXPECT_GE(lag["min_ns"].get<std::int64_t>(), 0);
    // Per message, from intended = lag + from actual send: so are the means.
    const double whole = rec["latency"]["mean_ns"].get<double>();
    const double parts =
        lag["mean_ns"].get<double>() + transit["mean_ns"].get<double>();
    EXPECT_NEAR(whole, parts, 1e-6 * whole + 1e-3);
  }
  for (std::size_t i = 0; i < doc["benchmarks"].size(); ++i) {
    const auto& b = doc["benchmarks"][i];
    const auto n = doc["ipcbench"]["benchmarks"][i]["iterations"];
    EXPECT_EQ(b.contains("sender_lag_p99_ns"), n >= 1000) << b["name"];
    EXPECT_TRUE(b.contains("lat_p50_ns")) << b["name"];
  }
}

TEST(Scenarios, CpuCostAndPlacementAreRecordedPerBenchmark) {
  ScratchDir dir;
  auto doc = run_ok({"--transports=pipe", "--sizes=64", "--scenarios=pingpong",
                     "--placement=cross,same"},
                    dir);
  const auto& recs = doc["ipcbench"]["benchmarks"];
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0]["name"], "pingpong/pipe/64/cross");
  EXPECT_EQ(recs[1]["name"], "pingpong/pipe/64/same");
  EXPECT_EQ(recs[1]["cpus_observed"]["driver"],
            recs[1]["cpus_observed"]["peer"]);
  for (const auto& rec : recs) {
    for (const char* side : {"driver", "peer"}) {
      const auto& c = rec["cpu"][side];
      EXPECT_GE(c["user_ns_per_msg"].get<double>(), 0) << side;
      EXPECT_GE(c["system_ns_per_msg"].get<double>(), 0) << side;
      EXPECT_GT(c["voluntary_switches_per_msg"].get<double>() +
                    c["involuntary_switches_per_msg"].get<double>() +
                    c["system_ns_per_msg"].get<double>(),
                0)
          << side << ": a blocking pipe ping-pong must cost something";
    }
  }
}

TEST(Scenarios, InprocRunsItsPeerOnAPinnedThread) {
  ScratchDir dir;
  auto doc = run_ok(
      {"--transports=inproc", "--sizes=64,64K", "--scenarios=pingpong,stream"},
      dir);
  const auto& recs = doc["ipcbench"]["benchmarks"];
  ASSERT_EQ(recs.size(), 8u);  // 2 scenarios x 2 waits x 2 sizes
  for (const auto& rec : recs) {
    EXPECT_FALSE(rec.contains("error")) << rec["error"];
    EXPECT_EQ(rec["cpus_observed"]["peer"], rec["placement"]["peer_cpu"]);
  }
  EXPECT_EQ(recs[0]["name"], "pingpong/inproc:spin/64");
}

// The pairs' messages over the span of their timed phases, and how much
// those phases overlapped, as the per-pair start and end times give them.
void expect_aggregate_from_phases(const nlohmann::json& rec) {
  const bool pingpong = rec["scenario"] == "pingpong";
  const char* key = pingpong ? "round_trips_per_s" : "msgs_per_s";
  std::int64_t first = INT64_MAX, last = 0, latest_start = 0;
  std::int64_t earliest_end = INT64_MAX;
  for (const auto& p : rec["pairs"]) {
    const auto start = p["timed_start_ns"].get<std::int64_t>();
    const auto end = p["timed_end_ns"].get<std::int64_t>();
    EXPECT_GT(start, 0);
    EXPECT_GE(end, start);
    first = std::min(first, start);
    last = std::max(last, end);
    latest_start = std::max(latest_start, start);
    earliest_end = std::min(earliest_end, end);
  }
  const auto& agg = rec["aggregate"];
  const std::int64_t count =
      rec["iterations"].get<std::int64_t>() *
      (pingpong ? rec["latency"]["batch"].get<std::int64_t>() : 1) *
      static_cast<std::int64_t>(rec["pairs"].size());
  EXPECT_EQ(agg["messages"], count);
  const double msgs = static_cast<double>(count);
  EXPECT_EQ(agg["span_ns"], last - first);
  EXPECT_DOUBLE_EQ(agg[key].get<double>(),
                   msgs / (static_cast<double>(last - first) * 1e-9));
  const std::int64_t together =
      std::max<std::int64_t>(0, earliest_end - latest_start);
  EXPECT_EQ(agg["all_running_ns"], together);
  EXPECT_DOUBLE_EQ(
      agg["overlap"].get<double>(),
      static_cast<double>(together) / static_cast<double>(last - first));
  EXPECT_NE(agg["method"].get<std::string>().find("latest end"),
            std::string::npos);
}

TEST(Scenarios, PairsReportEveryPairAndTheirAggregateOverTheSpan) {
  ScratchDir dir;
  auto doc = run_ok({"--transports=pipe,unix_stream", "--sizes=64",
                     "--scenarios=pingpong,stream", "--pairs=3"},
                    dir);
  const auto& recs = doc["ipcbench"]["benchmarks"];
  ASSERT_EQ(recs.size(), 4u);
  bool oversubscribed = false;
  for (const auto& rec : recs) {
    SCOPED_TRACE(rec["name"].get<std::string>());
    EXPECT_NE(rec["name"].get<std::string>().find("/3_pairs"),
              std::string::npos);
    ASSERT_EQ(rec["pairs"].size(), 3u);
    const char* key =
        rec["scenario"] == "pingpong" ? "round_trips_per_s" : "msgs_per_s";
    double sum = 0;
    for (const auto& p : rec["pairs"]) {
      EXPECT_GT(p[key].get<double>(), 0);
      sum += p[key].get<double>();
    }
    // Never more than the pairs did one by one, all added up.
    EXPECT_LE(rec["aggregate"][key].get<double>(), sum * (1 + 1e-9));
    expect_aggregate_from_phases(rec);
    if (rec["scenario"] == "pingpong") {
      EXPECT_EQ(rec["latency"]["count"],
                3 * rec["iterations"].get<std::int64_t>());
    }
    // Each pair's CPUs are recorded; distinct across pairs unless the
    // record says the pairs oversubscribe the CPUs.
    const auto& place = rec["placement"];
    ASSERT_EQ(place["assignment"].size(), 3u);
    std::set<int> cpus;
    for (std::size_t i = 0; i < 3; ++i) {
      const auto& a = place["assignment"][i];
      EXPECT_EQ(a["pair"], i);
      cpus.insert(a["driver_cpu"].get<int>());
      cpus.insert(a["peer_cpu"].get<int>());
    }
    EXPECT_EQ(place["assignment"][0]["driver_cpu"], place["driver_cpu"]);
    EXPECT_EQ(place["assignment"][0]["peer_cpu"], place["peer_cpu"]);
    EXPECT_EQ(cpus.size() < 6, place["oversubscribed"].get<bool>());
    oversubscribed |= place["oversubscribed"].get<bool>();
  }
  bool warned = false;
  for (const auto& w : doc["ipcbench"]["warnings"])
    warned |= w.get<std::string>().find("oversubscribed") != std::string::npos;
  EXPECT_EQ(warned, oversubscribed);
}

// Pairs whose timed phases do not overlap (each starts only when the one
// before has ended): all of them together did no more per second than the
// fastest one alone, and the record says they never all ran at once.
TEST(Scenarios, PairsThatNeverOverlapAggregateNoMoreThanTheirBestPair) {
  ScratchDir dir;
  auto doc = run_ok(
      {"--transports=pipe", "--sizes=64", "--wait=block",
       "--scenarios=pingpong,stream", "--pairs=2", "--inject-pairs-in-turn"},
      dir);
  const auto& recs = doc["ipcbench"]["benchmarks"];
  ASSERT_EQ(recs.size(), 2u);
  for (const auto& rec : recs) {
    SCOPED_TRACE(rec["name"].get<std::string>());
    ASSERT_FALSE(rec.contains("error")) << rec["error"];
    const char* key =
        rec["scenario"] == "pingpong" ? "round_trips_per_s" : "msgs_per_s";
    double best = 0;
    for (const auto& p : rec["pairs"])
      best = std::max(best, p[key].get<double>());
    EXPECT_LE(rec["aggregate"][key].get<double>(), best * (1 + 1e-9));
    EXPECT_EQ(rec["aggregate"]["all_running_ns"], 0);
    EXPECT_EQ(rec["aggregate"]["overlap"], 0.0);
    EXPECT_LE(rec["pairs"][0]["timed_end_ns"].get<std::int64_t>(),
              rec["pairs"][1]["timed_start_ns"].get<std::int64_t>());
    expect_aggregate_from_phases(rec);
  }
}

TEST(Scenarios, PairsWithVerifyRecordEveryPairsIntegrity) {
  ScratchDir dir;
  auto doc = run_ok({"--transports=pipe", "--sizes=64", "--scenarios=stream",
                     "--pairs=2", "--verify"},
                    dir);
  const auto& rec = doc["ipcbench"]["benchmarks"][0];
  ASSERT_EQ(rec["integrity"].size(), 2u);
  const std::int64_t msgs = rec["warmup_messages"].get<std::int64_t>() +
                            rec["iterations"].get<std::int64_t>();
  for (const auto& pair : rec["integrity"]) {
    EXPECT_EQ(pair["peer_received"]["checked"], msgs);
    EXPECT_EQ(pair["peer_received"]["corrupt"], 0);
  }
}

TEST(Scenarios, PairsWithAScenarioThatCannotUseThemIsSkippedWithAReason) {
  ScratchDir dir;
  auto doc = run_ok(
      {"--transports=pipe", "--sizes=64", "--scenarios=oneway", "--pairs=2"},
      dir);
  ASSERT_EQ(doc["ipcbench"]["skipped"].size(), 1u);
  EXPECT_NE(doc["ipcbench"]["skipped"][0]["reason"].get<std::string>().find(
                "--pairs"),
            std::string::npos);
}

}  // namespace
}  // namespace ipcb

namespace ipcb {
namespace {

TEST(Warmup, SizedToLastTheMinimumTimeFromTheLastInvocation) {
  using bench::kMinWarmupNs;
  using bench::warmup_for_time;
  // 1000 messages in 1 ms: 50 ms needs 50 000; with the 1.5x margin 75 000.
  EXPECT_EQ(warmup_for_time(1000, 1'000'000), 75000);
  EXPECT_EQ(warmup_for_time(1000, kMinWarmupNs), 1000);      // long enough
  EXPECT_EQ(warmup_for_time(1000, 2 * kMinWarmupNs), 1000);  // never fewer
  EXPECT_EQ(warmup_for_time(1000, 0), 10000);  // not measured: 10x
  EXPECT_EQ(warmup_for_time(1000, 1), bench::kMaxWarmupMessages);
}

TEST(Warmup, AFastRoundTripIsWarmedUpForAtLeastTheMinimumTime) {
  ScratchDir dir;
  // Google Benchmark invokes each case several times at this minimum time;
  // the first invocation sizes the warm-up of the next.
  auto doc = run_ok({"--transports=shm_ring", "--wait=spin", "--sizes=64",
                     "--scenarios=pingpong,stream", "--benchmark_min_time=0.1"},
                    dir);
  for (const auto& rec : doc["ipcbench"]["benchmarks"]) {
    SCOPED_TRACE(rec["name"].get<std::string>());
    ASSERT_FALSE(rec.contains("error")) << rec["error"];
    const auto& w = rec["warmup"];
    EXPECT_EQ(w["messages"], rec["warmup_messages"]);
    EXPECT_EQ(w["min_ns"], bench::kMinWarmupNs);
    // The count is sized from the previous invocation's warm-up, which the
    // record names (at this minimum time the recorded invocation is never
    // the first): 1000 messages of 64 B take about a millisecond on a quiet
    // machine, and then the count is raised to last the minimum time.
    ASSERT_TRUE(w.contains("sized_from")) << w.dump();
    const auto& from = w["sized_from"];
    EXPECT_EQ(
        w["messages"].get<std::int64_t>(),
        std::max(bench::warmup_count(64),
                 bench::warmup_for_time(from["messages"].get<std::int64_t>(),
                                        from["ns"].get<std::int64_t>())))
        << w.dump();
    // Sized from the previous invocation's pace: on a loaded machine the
    // pace can change between invocations, and then the record says so
    // rather than claiming the minimum.
    const bool short_of_min = w["ns"].get<std::int64_t>() < bench::kMinWarmupNs;
    EXPECT_EQ(w.contains("below_min"), short_of_min) << w.dump();
  }
}

}  // namespace
}  // namespace ipcb
