// The fanout scenario and what it stands on: the broadcast ring delivers
// every byte to every reader in order (both wait strategies, messages
// larger than the ring included); the finish count adds up; on real
// processes every consumer of a lossless transport receives every message
// intact, a transport that may drop accounts for every message (received
// + lost = sent), a transport without fan-out is skipped with the reason,
// a dying consumer fails the benchmark with its name, and bad
// --consumers values are one-line errors. No durations are asserted.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "bench/framing.hpp"
#include "harness/release.hpp"
#include "test_util.hpp"
#include "transports/bcast_ring.hpp"

namespace ipcb {
namespace {

using testing::run_ipcbench;
using testing::ScratchDir;

// Memory for a ring: 64-byte aligned, as a shared mapping would be.
struct BcastMemory {
  explicit BcastMemory(std::size_t n)
      : bytes(n), p(static_cast<std::byte*>(std::aligned_alloc(64, n))) {}
  ~BcastMemory() { std::free(p); }
  std::size_t bytes;
  std::byte* p;
};

void broadcast_through_ring(transports::Wait wait) {
  constexpr std::size_t kCapacity = 4096, kReaders = 3;
  // Sizes below, at and above the ring's capacity (streamed in chunks).
  const std::vector<std::size_t> sizes = {1, 63, 64, 1000, 4096, 5000, 70000};
  BcastMemory mem(transports::BcastRing::region_bytes(kCapacity, kReaders));
  transports::BcastRing::init(mem.p, kCapacity, kReaders);
  std::vector<int> ok(kReaders, 0);
  std::vector<std::thread> readers;
  for (std::size_t r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      transports::BcastRing ring(mem.p, mem.bytes, wait, "reader");
      ring.join();
      int good = 0;
      for (int round = 0; round < 20; ++round) {
        for (std::size_t n : sizes) {
          std::vector<std::byte> got(n);
          ring.read(got.data(), n);
          const auto seed = static_cast<std::uint32_t>(round * 100 + n);
          good += bench::check_pattern(got.data(), n, seed) < 0;
        }
      }
      ok[r] = good;
    });
  }
  transports::BcastRing writer(mem.p, mem.bytes, wait, "writer");
  while (writer.joined() < kReaders) std::this_thread::yield();
  for (int round = 0; round < 20; ++round) {
    for (std::size_t n : sizes) {
      std::vector<std::byte> msg(n);
      bench::fill_pattern(msg.data(), n,
                          static_cast<std::uint32_t>(round * 100 + n));
      writer.write(msg.data(), n);
    }
  }
  for (auto& t : readers) t.join();
  for (std::size_t r = 0; r < kReaders; ++r)
    EXPECT_EQ(ok[r], static_cast<int>(20 * sizes.size())) << "reader " << r;
}

TEST(BcastRing, EveryReaderGetsEveryByteInOrderBlocking) {
  broadcast_through_ring(transports::Wait::kBlock);
}

TEST(BcastRing, EveryReaderGetsEveryByteInOrderSpinning) {
  broadcast_through_ring(transports::Wait::kSpin);
}

TEST(BcastRing, AReaderBeyondTheSlotsIsRefused) {
  BcastMemory mem(transports::BcastRing::region_bytes(64, 1));
  transports::BcastRing::init(mem.p, 64, 1);
  transports::BcastRing a(mem.p, mem.bytes, transports::Wait::kSpin, "a");
  transports::BcastRing b(mem.p, mem.bytes, transports::Wait::kSpin, "b");
  a.join();
  EXPECT_THROW(b.join(), std::runtime_error);
}

TEST(FinishCount, CountsEachAdditionOnce) {
  harness::FinishCount count;
  EXPECT_EQ(harness::FinishCount::take(count.fd()), 0);
  for (int i = 0; i < 3; ++i) harness::FinishCount::add_one(count.fd());
  EXPECT_EQ(harness::FinishCount::take(count.fd()), 3);
  EXPECT_EQ(harness::FinishCount::take(count.fd()), 0);
}

struct FanoutRun {
  testing::ProcessResult result;
  nlohmann::json doc;
};

FanoutRun run_fanout(std::vector<std::string> args, const ScratchDir& dir) {
  const std::string out = dir.path + "/results.json";
  args.push_back("--scenarios=fanout");
  args.push_back("--out=" + out);
  args.push_back("--benchmark_min_time=0.01");
  args.push_back("--baselines=none");
  FanoutRun r;
  r.result = run_ipcbench(args);
  r.doc = testing::load_results(out);
  return r;
}

std::string fanout_skip_reason(const nlohmann::json& doc,
                               const std::string& name) {
  for (const auto& s : doc["ipcbench"]["skipped"])
    if (s["name"] == name) return s["reason"];
  return "";
}

const nlohmann::json* fanout_record(const nlohmann::json& doc,
                                    const std::string& name) {
  for (const auto& rec : doc["ipcbench"]["benchmarks"])
    if (rec["name"] == name) return &rec;
  return nullptr;
}

TEST(Fanout, EveryConsumerAccountsForEveryMessage) {
  ScratchDir dir;
  auto r = run_fanout({"--transports=shm_ring,zmq_ipc,pipe", "--wait=block",
                       "--sizes=64,4K", "--consumers=3", "--verify"},
                      dir);
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  int measured = 0;
  for (const auto& rec : r.doc["ipcbench"]["benchmarks"]) {
    const std::string name = rec["name"];
    SCOPED_TRACE(name);
    if (name.rfind("fanout/pipe/", 0) == 0) {
      EXPECT_NE(fanout_skip_reason(r.doc, name)
                    .find("fanout is not offered for pipe"),
                std::string::npos);
      continue;
    }
    ASSERT_FALSE(rec.contains("error")) << rec["error"];
    ++measured;
    const auto sent = rec["throughput"]["messages"].get<std::int64_t>();
    const auto& f = rec["fanout"];
    EXPECT_EQ(f["consumers"], 3);
    const bool lossless = name.rfind("fanout/shm_ring", 0) == 0;
    EXPECT_EQ(f["delivery"], lossless ? "lossless" : "may_drop");
    const auto& per = f["per_consumer"];
    ASSERT_EQ(per.size(), 3u);
    std::int64_t delivered = 0, lost = 0;
    for (std::size_t i = 0; i < per.size(); ++i) {
      EXPECT_EQ(per[i]["consumer"], i);
      const auto got = per[i]["received"].get<std::int64_t>();
      EXPECT_EQ(got + per[i]["lost"].get<std::int64_t>(), sent);
      if (lossless) {
        EXPECT_EQ(got, sent);
      }
      delivered += got;
      lost += per[i]["lost"].get<std::int64_t>();
    }
    EXPECT_EQ(f["delivered"]["messages"], delivered);
    EXPECT_EQ(f["loss"]["messages"], lost);
    EXPECT_EQ(rec["cpus_observed"]["consumers"].size(), 3u);
    EXPECT_EQ(rec["integrity"]["consumers_received"].size(), 3u);
    EXPECT_EQ(rec["latency"]["kind"], "send_to_receive");
    // The record names the explanations, kept once in ipcbench.methods.
    EXPECT_EQ(f["delivered"]["basis"], "methods:fanout.delivered.basis");
    EXPECT_EQ(rec["latency"]["sampling"], "methods:latency.sampling");
  }
  EXPECT_NE(r.doc["ipcbench"]["methods"]["fanout.delivered.basis"]
                .get<std::string>()
                .find("all consumers together"),
            std::string::npos);
  EXPECT_EQ(measured, 4);  // shm_ring and zmq_ipc at two sizes
}

TEST(Fanout, ADyingConsumerFailsTheBenchmarkWithItsName) {
  ScratchDir dir;
  auto r = run_fanout({"--transports=shm_ring", "--wait=block", "--sizes=64",
                       "--consumers=2", "--inject-peer-fault=exit@run:50"},
                      dir);
  const auto* rec =
      fanout_record(r.doc, "fanout/shm_ring:block/64/2_consumers");
  ASSERT_NE(rec, nullptr) << r.result.err;
  ASSERT_TRUE(rec->contains("error"));
  EXPECT_NE((*rec)["error"].get<std::string>().find("consumer"),
            std::string::npos)
      << (*rec)["error"];
}

TEST(Fanout, BadConsumerCountsAreOneLineErrors) {
  for (const char* bad : {"--consumers=0", "--consumers=65", "--consumers=2,2",
                          "--consumers=x"}) {
    const auto r = run_ipcbench({bad, "--scenarios=fanout"});
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_EQ(testing::count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("--consumers"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace ipcb
