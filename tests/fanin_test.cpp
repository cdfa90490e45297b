// The fanin scenario on real processes: N producer peers on one transport,
// one consumer. Every message from every producer arrives exactly once and
// intact, the per-producer bookkeeping adds up, sizes a transport cannot
// deliver whole from concurrent senders are skipped with the limit named,
// corruption and a dying producer fail the benchmark with the cause, and
// nothing is left behind. No durations are asserted.
#include <gtest/gtest.h>
#include <sched.h>

#include <nlohmann/json.hpp>

#include "test_util.hpp"

namespace ipcb {
namespace {

using testing::run_ipcbench;
using testing::ScratchDir;

struct Run {
  testing::ProcessResult result;
  nlohmann::json doc;
};

Run run_fanin(std::vector<std::string> args, const ScratchDir& dir) {
  const std::string out = dir.path + "/results.json";
  args.push_back("--scenarios=fanin");
  args.push_back("--out=" + out);
  args.push_back("--benchmark_min_time=0.01");
  args.push_back("--baselines=none");
  Run r;
  r.result = run_ipcbench(args);
  r.doc = testing::load_results(out);
  return r;
}

std::string skip_reason(const nlohmann::json& doc, const std::string& name) {
  for (const auto& s : doc["ipcbench"]["skipped"])
    if (s["name"] == name) return s["reason"];
  return "";
}

TEST(Fanin, EveryMessageOfEveryProducerArrivesOnceAndIntact) {
  ScratchDir dir;
  auto r =
      run_fanin({"--transports=pipe,fifo,posix_mq,sysv_mq,bipc_mq,"
                 "unix_dgram,unix_seqpacket,zmq_ipc,zmq_tcp",
                 "--wait=block", "--sizes=64", "--producers=3", "--verify"},
                dir);
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  const auto& recs = r.doc["ipcbench"]["benchmarks"];
  ASSERT_EQ(recs.size(), 9u);  // one per fan-in transport
  for (const auto& rec : recs) {
    SCOPED_TRACE(rec["name"].get<std::string>());
    ASSERT_FALSE(rec.contains("error")) << rec["error"];
    const int p = rec["producers"];
    const auto iters = rec["iterations"].get<std::int64_t>();
    const auto warm = rec["warmup_messages"].get<std::int64_t>();
    EXPECT_NE(rec["name"].get<std::string>().find("/" + std::to_string(p) +
                                                  "_producers"),
              std::string::npos);
    const auto& per = rec["fanin"]["per_producer"];
    ASSERT_EQ(per.size(), static_cast<std::size_t>(p));
    std::int64_t total = 0;
    double shares = 0;
    for (std::size_t i = 0; i < per.size(); ++i) {
      // The harness splits the messages evenly; each producer's all came.
      const std::int64_t quota =
          iters / p + (static_cast<std::int64_t>(i) < iters % p ? 1 : 0);
      EXPECT_EQ(per[i]["producer"], i);
      EXPECT_EQ(per[i]["messages"], quota);
      total += per[i]["messages"].get<std::int64_t>();
      shares += per[i]["share"].get<double>();
    }
    EXPECT_EQ(total, iters);
    EXPECT_NEAR(shares, 1.0, 1e-9);
    EXPECT_EQ(rec["throughput"]["messages"], iters);
    EXPECT_EQ(rec["throughput"]["bytes"], iters * 64);
    // Every stride-th message of each producer is timed.
    const auto stride = rec["latency"]["stride"].get<std::int64_t>();
    ASSERT_GE(stride, 1);
    std::int64_t sampled = 0;
    for (std::int64_t i = 0; i < p; ++i) {
      const std::int64_t quota = iters / p + (i < iters % p ? 1 : 0);
      sampled += (quota + stride - 1) / stride;
    }
    EXPECT_EQ(rec["latency"]["count"], sampled);
    EXPECT_EQ(rec["latency"]["kind"], "send_to_receive");
    // All producers released by one write, each on its recorded CPU.
    // The record names the text, kept once in ipcbench.methods.
    const std::string release = rec["fanin"]["release"];
    ASSERT_EQ(release, "methods:fanin.release");
    EXPECT_NE(
        r.doc["ipcbench"]["methods"]["fanin.release"].get<std::string>().find(
            "a single write releases all"),
        std::string::npos);
    EXPECT_EQ(rec["placement"]["producer_cpus"].size(),
              static_cast<std::size_t>(p));
    EXPECT_EQ(rec["placement"]["consumer_cpu"], rec["placement"]["driver_cpu"]);
    const double jain = rec["fanin"]["fairness"]["jain_index"];
    EXPECT_GT(jain, 0.0);
    EXPECT_LE(jain, 1.0 + 1e-12);
    // Warm-up and timed messages of every producer were checked.
    const auto& integrity = rec["integrity"]["driver_received"];
    EXPECT_EQ(integrity["checked"], iters + warm * p);
    EXPECT_EQ(integrity["corrupt"], 0);
    EXPECT_EQ(integrity["gaps"], 0);
    EXPECT_EQ(integrity["duplicates"], 0);
    EXPECT_EQ(rec["cpus_observed"]["producers"].size(),
              static_cast<std::size_t>(p));
    EXPECT_TRUE(rec["cpu"].contains("peer"));
  }
}

TEST(Fanin, SpinWaitQueuesCarryEveryMessage) {
  ScratchDir dir;
  auto r = run_fanin({"--transports=posix_mq,sysv_mq", "--wait=spin",
                      "--sizes=4K", "--producers=2", "--verify"},
                     dir);
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  ASSERT_EQ(r.doc["ipcbench"]["benchmarks"].size(), 2u);
  for (const auto& rec : r.doc["ipcbench"]["benchmarks"]) {
    ASSERT_FALSE(rec.contains("error")) << rec["error"];
    EXPECT_EQ(rec["integrity"]["driver_received"]["corrupt"], 0);
  }
}

TEST(Fanin, SizesThatWouldInterleaveAndTransportsWithoutFaninAreSkipped) {
  ScratchDir dir;
  auto r = run_fanin({"--transports=pipe,udp,shm_ring", "--wait=block",
                      "--sizes=4K,8K", "--producers=2"},
                     dir);
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  // pipe: 4 KiB is PIPE_BUF and runs; 8 KiB writes would interleave.
  std::vector<std::string> ran;
  for (const auto& rec : r.doc["ipcbench"]["benchmarks"])
    if (!rec.contains("skipped")) ran.push_back(rec["name"]);
  EXPECT_EQ(ran, std::vector<std::string>{"fanin/pipe/4096/2_producers"});
  EXPECT_EQ(r.doc["ipcbench"]["skipped"].size(), 5u);
  EXPECT_NE(skip_reason(r.doc, "fanin/pipe/8192/2_producers")
                .find("beyond the 4096 B that pipe delivers whole"),
            std::string::npos);
  for (const char* name :
       {"fanin/udp/4096/2_producers", "fanin/shm_ring:block/8192/2_producers"})
    EXPECT_NE(skip_reason(r.doc, name).find("fanin is not offered"),
              std::string::npos)
        << name;
}

TEST(Fanin, CorruptionIsCaughtWithAndWithoutVerify) {
  ScratchDir dir;
  // Each of the 2 producers flips a bit of its 5th message (a warm-up one,
  // checked with --verify).
  auto verified = run_fanin(
      {"--transports=posix_mq", "--wait=block", "--sizes=64", "--producers=2",
       "--verify", "--inject-peer-fault=corrupt@run:5"},
      dir);
  EXPECT_EQ(verified.result.exit_code, 1) << verified.result.err;
  ASSERT_EQ(verified.doc["ipcbench"]["failures"].size(), 1u);
  std::string e = verified.doc["ipcbench"]["failures"][0]["error"];
  EXPECT_NE(e.find("integrity check failed at the consumer: 2 corrupt"),
            std::string::npos)
      << e;
  // Without --verify the consumer's word sum of the timed messages catches
  // a flipped bit in one of them: message 1000 is the first timed one (64 B
  // messages have 1000 warm-up messages), sent even when Google Benchmark
  // stops at one iteration on a slow machine.
  ScratchDir dir2;
  auto summed =
      run_fanin({"--transports=unix_dgram", "--sizes=64", "--producers=2",
                 "--inject-peer-fault=corrupt@run:1000"},
                dir2);
  EXPECT_EQ(summed.result.exit_code, 1) << summed.result.err;
  ASSERT_EQ(summed.doc["ipcbench"]["failures"].size(), 1u);
  e = summed.doc["ipcbench"]["failures"][0]["error"];
  EXPECT_NE(e.find("checksum does not match what the producers sent"),
            std::string::npos)
      << e;
}

TEST(Fanin, ADyingProducerFailsTheBenchmarkAndLeavesNothingBehind) {
  ScratchDir dir;
  auto r = run_fanin(
      {"--transports=posix_mq,sysv_mq,zmq_ipc,fifo", "--wait=block",
       "--sizes=64", "--producers=3", "--inject-peer-fault=kill@run:20"},
      dir);
  EXPECT_EQ(r.result.exit_code, 1) << r.result.err;
  const auto& failures = r.doc["ipcbench"]["failures"];
  ASSERT_EQ(failures.size(), 4u);
  for (const auto& f : failures) {
    std::string e = f["error"];
    EXPECT_NE(e.find("producer "), std::string::npos) << e;
    EXPECT_NE(e.find("killed by signal 9"), std::string::npos) << e;
  }
  // Queues, FIFOs and socket files went with the run: nothing to clean up.
  auto cleanup = run_ipcbench({"--cleanup"});
  EXPECT_EQ(cleanup.exit_code, 0);
  EXPECT_NE(cleanup.out.find("removed 0 stale"), std::string::npos)
      << cleanup.out;
}

TEST(Fanin, OversubscriptionIsSaidNotRefused) {
  ScratchDir dir;
  auto r = run_fanin(
      {"--transports=pipe", "--sizes=64", "--producers=4", "--wait=block"},
      dir);
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  cpu_set_t set;
  ASSERT_EQ(::sched_getaffinity(0, sizeof set, &set), 0);
  bool warned = false;
  for (const auto& w : r.doc["ipcbench"]["warnings"])
    warned |= w.get<std::string>().find("fanin with up to 4 producers") !=
              std::string::npos;
  EXPECT_EQ(warned, CPU_COUNT(&set) < 5);
}

}  // namespace
}  // namespace ipcb
