// shm_ring and its SpscRing: the ring between two threads of this process
// (sizes up to 3x the capacity, wrap-around, futex wake-ups, cancellation),
// then the transport between two real processes when the peer is killed.
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "bench/framing.hpp"
#include "bench/job.hpp"
#include "harness/naming.hpp"
#include "harness/pair.hpp"
#include "sys/cancel.hpp"
#include "test_util.hpp"
#include "transports/registry.hpp"
#include "transports/spsc_ring.hpp"

namespace ipcb {
namespace {

using transports::SpscRing;
using transports::Wait;

// One ring laid out in a shared anonymous mapping.
struct RingMemory {
  std::size_t bytes;
  void* mem;
  explicit RingMemory(std::size_t capacity)
      : bytes(SpscRing::region_bytes(capacity)),
        mem(::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0)) {
    if (mem == MAP_FAILED) throw std::runtime_error("mmap failed");
    SpscRing::init(mem, capacity);
  }
  ~RingMemory() { ::munmap(mem, bytes); }
  // FUTEX_WAIT slices of an hour: a lost wake-up hangs the test (and fails
  // it by ctest's timeout) instead of being papered over by the 100 ms slice.
  SpscRing view(Wait w) {
    return SpscRing(mem, bytes, w, "test ring", 3'600'000'000'000);
  }
};

// Scheduler state of a thread of this process ('S': sleeping in the kernel).
char thread_state(pid_t tid) {
  std::string s =
      testing::slurp("/proc/self/task/" + std::to_string(tid) + "/stat");
  auto paren = s.rfind(')');
  return paren == std::string::npos || paren + 2 >= s.size() ? '?'
                                                             : s[paren + 2];
}

void wait_until(const std::function<bool()>& done) {
  while (!done()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

class Ring : public ::testing::TestWithParam<Wait> {};

TEST(RingCapacity, PowerOfTwoTwiceTheMessageBetween1MiBAnd16MiB) {
  EXPECT_EQ(SpscRing::capacity_for(1), 1u << 20);
  EXPECT_EQ(SpscRing::capacity_for(64u << 10), 1u << 20);
  EXPECT_EQ(SpscRing::capacity_for(512u << 10), 1u << 20);
  EXPECT_EQ(SpscRing::capacity_for((512u << 10) + 1), 2u << 20);
  EXPECT_EQ(SpscRing::capacity_for(1u << 20), 2u << 20);
  EXPECT_EQ(SpscRing::capacity_for(256u << 20), 16u << 20);
  EXPECT_THROW(RingMemory(3000), std::invalid_argument);
}

TEST(RingWrap, AMessageStraddlingTheEndArrivesIntact) {
  constexpr std::size_t kCap = 4096;
  RingMemory m(kCap);
  SpscRing w = m.view(Wait::kSpin), r = m.view(Wait::kSpin);
  std::vector<std::byte> out(kCap), in(kCap);
  // Move the indices to 10 bytes before the end, then write 20 bytes.
  bench::fill_pattern(out.data(), kCap - 10, 1);
  w.write(out.data(), kCap - 10);
  r.read(in.data(), kCap - 10);
  EXPECT_EQ(bench::check_pattern(in.data(), kCap - 10, 1), -1);
  bench::fill_pattern(out.data(), 20, 2);
  w.write(out.data(), 20);
  r.read(in.data(), 20);
  EXPECT_EQ(bench::check_pattern(in.data(), 20, 2), -1);
}

// Writer in this thread, reader in another: every size from 1 B to 3x the
// capacity, several rounds so that messages start at many ring offsets.
void exchange_sizes(std::size_t cap, Wait wait) {
  RingMemory m(cap);
  const std::vector<std::size_t> sizes = {
      1,    2,       3,   7,       63,          64,     65,
      1000, cap - 1, cap, cap + 1, 2 * cap + 3, 3 * cap};
  constexpr int kRounds = 8;
  std::atomic<int> bad{0};
  std::thread reader([&] {
    SpscRing r = m.view(wait);
    std::vector<std::byte> in(3 * cap + 8);
    for (int round = 0; round < kRounds; ++round) {
      for (std::size_t i = 0; i < sizes.size(); ++i) {
        r.read(in.data(), sizes[i]);
        auto seed = static_cast<std::uint32_t>(round * 100 + i);
        if (bench::check_pattern(in.data(), sizes[i], seed) != -1) ++bad;
      }
    }
  });
  SpscRing w = m.view(wait);
  std::vector<std::byte> out(3 * cap + 8);
  for (int round = 0; round < kRounds; ++round) {
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      auto seed = static_cast<std::uint32_t>(round * 100 + i);
      bench::fill_pattern(out.data(), sizes[i], seed);
      w.write(out.data(), sizes[i]);
    }
  }
  reader.join();
  EXPECT_EQ(bad.load(), 0) << "messages arrived corrupted or out of order";
}

TEST_P(Ring, EverySizeUpTo3xCapacityArrivesInOrderByteExact) {
  exchange_sizes(4096, GetParam());  // small ring: wraps all the time
  exchange_sizes(SpscRing::capacity_for(64), GetParam());
}

TEST(RingBlock, SleepingReaderWakesWhenDataArrives) {
  RingMemory m(4096);
  SpscRing w = m.view(Wait::kBlock);
  std::atomic<pid_t> tid{0};
  std::byte got[8] = {};
  std::thread reader([&] {
    SpscRing r = m.view(Wait::kBlock);
    tid = ::gettid();
    r.read(got, sizeof got);
  });
  // Only write once the reader has announced itself and sleeps in the kernel.
  wait_until([&] {
    return tid != 0 && w.consumer_sleeping() && thread_state(tid) == 'S';
  });
  std::byte msg[8];
  bench::fill_pattern(msg, sizeof msg, 3);
  w.write(msg, sizeof msg);
  reader.join();
  EXPECT_EQ(bench::check_pattern(got, sizeof got, 3), -1);
  EXPECT_FALSE(w.consumer_sleeping());
}

TEST(RingBlock, SleepingWriterWakesWhenSpaceIsFreed) {
  constexpr std::size_t kCap = 4096;
  RingMemory m(kCap);
  std::atomic<pid_t> tid{0};
  std::vector<std::byte> out(2 * kCap), in(2 * kCap);
  bench::fill_pattern(out.data(), out.size(), 4);
  std::thread writer([&] {
    SpscRing w = m.view(Wait::kBlock);
    tid = ::gettid();
    w.write(out.data(), out.size());  // twice the capacity: must wait
  });
  SpscRing r = m.view(Wait::kBlock);
  wait_until([&] { return tid != 0 && thread_state(tid) == 'S'; });
  r.read(in.data(), in.size());
  writer.join();
  EXPECT_EQ(bench::check_pattern(in.data(), in.size(), 4), -1);
}

// The producer sleeps until the rest of its message fits (or half the ring is
// free): freeing just enough for a small remainder must wake it.
TEST(RingBlock, SleepingWriterWakesWhenItsRemainderFits) {
  constexpr std::size_t kCap = 4096;
  RingMemory m(kCap);
  std::atomic<pid_t> tid{0};
  std::vector<std::byte> out(kCap + 100), in(kCap + 100);
  bench::fill_pattern(out.data(), out.size(), 5);
  std::thread writer([&] {
    SpscRing w = m.view(Wait::kBlock);
    tid = ::gettid();
    w.write(out.data(), kCap);        // fills the ring
    w.write(out.data() + kCap, 100);  // waits for 100 free bytes
  });
  SpscRing r = m.view(Wait::kBlock);
  wait_until([&] { return tid != 0 && thread_state(tid) == 'S'; });
  r.read(in.data(), 100);  // frees exactly the 100 bytes it waits for
  writer.join();
  r.read(in.data() + 100, kCap);
  EXPECT_EQ(bench::check_pattern(in.data(), in.size(), 5), -1);
}

TEST_P(Ring, CancellationUnblocksAWaitingReader) {
  harness::install_driver_signals();  // SIGUSR1 without SA_RESTART
  sys::reset_cancel();
  RingMemory m(4096);
  SpscRing w = m.view(GetParam());
  std::atomic<pid_t> tid{0};
  std::atomic<bool> was_cancelled{false};
  std::thread reader([&] {
    SpscRing r = m.view(GetParam());
    tid = ::gettid();
    std::byte b[1];
    try {
      r.read(b, 1);  // nobody ever writes
    } catch (const sys::Cancelled&) {
      was_cancelled = true;
    }
  });
  if (GetParam() == Wait::kBlock) {
    wait_until([&] {
      return tid != 0 && w.consumer_sleeping() && thread_state(tid) == 'S';
    });
  } else {
    wait_until([&] { return tid != 0; });
  }
  sys::request_cancel();
  ::pthread_kill(reader.native_handle(), SIGUSR1);
  reader.join();
  sys::reset_cancel();
  EXPECT_TRUE(was_cancelled);
}

INSTANTIATE_TEST_SUITE_P(BothWaits, Ring,
                         ::testing::Values(Wait::kSpin, Wait::kBlock),
                         [](const auto& info) {
                           return std::string(
                               transports::to_string(info.param));
                         });

std::vector<std::string> ring_objects_in_dev_shm() {
  std::vector<std::string> found;
  for (const auto& e : testing::entries_with_prefix("/dev/shm", "ipcb_")) {
    if (e.size() >= 5 && e.compare(e.size() - 5, 5, "-ring") == 0)
      found.push_back(e);
  }
  return found;
}

// The driver is blocked writing into a full ring when the peer is killed:
// the watchdog must cancel the wait, and the failure must name the signal.
void driver_writing_when_peer_is_killed(Wait wait) {
  harness::IpcNames names;
  transports::Config cfg{65536, wait, names.dir(), names.prefix()};
  auto t = transports::create_transport("shm_ring", cfg);
  bench::Job job;
  job.scenario = "stream";
  job.message_bytes = 65536;
  job.iterations = 1000;
  job.warmup = 10;
  harness::PeerSpec spec{
      IPCBENCH_PATH, "shm_ring", cfg,
      job.to_json(), -1,         std::chrono::milliseconds(60000),
      "kill@run:20"};
  std::string why;
  {
    harness::Pair pair(spec, *t);
    try {
      t->connect(transports::Role::kDriver);
      pair.start_gate();
      std::vector<std::byte> out(65536);
      std::byte ack[1];
      for (std::int64_t i = 0; i < job.warmup; ++i) t->send(out.data(), 65536);
      t->recv(ack, 1);
      for (std::int64_t i = 0; i < job.iterations; ++i)
        t->send(out.data(), 65536);
      t->recv(ack, 1);
      ADD_FAILURE() << "the run completed although the peer was killed";
    } catch (const sys::Cancelled& e) {
      why = pair.explain_failure(e);
    }
  }
  EXPECT_NE(why.find("signal 9"), std::string::npos) << why;
  EXPECT_TRUE(testing::entries_with_prefix("/dev/shm", names.prefix()).empty());
}

TEST(ShmRing, DriverWaitingForSpaceIsCancelledWhenThePeerIsKilled) {
  for (auto wait : {Wait::kSpin, Wait::kBlock}) {
    SCOPED_TRACE(transports::to_string(wait));
    driver_writing_when_peer_is_killed(wait);
  }
}

TEST(ShmRing, KilledPeerFailsTheBenchmarkForBothWaitsAndLeavesNothing) {
  testing::ScratchDir dir;
  std::string out = dir.path + "/results.json";
  auto r = testing::run_ipcbench(
      {"--transports=shm_ring", "--scenarios=pingpong,stream,oneway,rate",
       "--inject-peer-fault=kill@run:20", "--timeout=5",
       "--benchmark_min_time=0.01", "--sizes=64,64K", "--baselines=none",
       "--out=" + out});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto doc = nlohmann::json::parse(testing::slurp(out));
  int pingpong_failures = 0;
  for (const auto& b : doc["benchmarks"]) {
    std::string name = b["name"];
    if (b.value("error_occurred", false)) {
      std::string e = b["error_message"];
      EXPECT_NE(e.find("signal 9"), std::string::npos) << name << ": " << e;
      pingpong_failures += name.rfind("pingpong/", 0) == 0;
    } else {
      // A stream run whose iterations all fit before message 20 (a noisy
      // machine can make Google Benchmark stop early) never met the fault.
      EXPECT_EQ(name.rfind("stream/", 0), 0u) << name << " did not fail";
      EXPECT_LE(b["iterations"].get<std::int64_t>(), 20) << name;
    }
  }
  // The pingpong peer is killed during its warm-up: always, for both waits.
  EXPECT_EQ(pingpong_failures, 4) << r.out;
  EXPECT_TRUE(ring_objects_in_dev_shm().empty());
}

}  // namespace
}  // namespace ipcb
