// Other work on the measured CPUs: each side's run delay (time runnable
// but waiting for its CPU) over the timed phase, judged only where the
// loops had CPUs of their own. No durations are asserted: the live test
// puts a busy thread on the peer's CPU and checks that the record says so.
#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "bench/cpu_cost.hpp"
#include "bench/report.hpp"
#include "harness/cpu.hpp"
#include "sys/threads.hpp"
#include "test_util.hpp"

namespace ipcb {
namespace {

using testing::run_ipcbench;
using testing::ScratchDir;

bench::CpuCost waited(std::int64_t run_delay_ns, std::int64_t wall_ns) {
  bench::CpuCost c;
  c.run_delay_ns = run_delay_ns;
  c.wall_ns = wall_ns;
  return c;
}

TEST(Contention, FractionsAreRunDelayOverWallTime) {
  auto j = bench::contention_json(waited(1'000, 100'000),
                                  waited(30'000, 100'000), {0, 1});
  EXPECT_DOUBLE_EQ(j["driver_run_delay_fraction"].get<double>(), 0.01);
  EXPECT_DOUBLE_EQ(j["peer_run_delay_fraction"].get<double>(), 0.30);
  EXPECT_EQ(j["judged"], true);
  EXPECT_EQ(j["contended"], true);
  EXPECT_FALSE(j.contains("not_judged"));
}

TEST(Contention, AtTheThresholdIsNotContended) {
  const auto at = static_cast<std::int64_t>(bench::kContentionFraction * 1e6);
  auto j = bench::contention_json(waited(at, 1'000'000), waited(at, 1'000'000),
                                  {2, 5});
  EXPECT_EQ(j["judged"], true);
  EXPECT_EQ(j["contended"], false);
  j = bench::contention_json(waited(at + 1, 1'000'000), waited(0, 1'000'000),
                             {2, 5});
  EXPECT_EQ(j["contended"], true);
}

TEST(Contention, NotJudgedWhereTheWaitMayBeTheBenchmarksOwn) {
  const auto d = waited(500'000, 1'000'000), p = waited(500'000, 1'000'000);
  auto shared = bench::contention_json(d, p, {3, 3});
  EXPECT_EQ(shared["judged"], false);
  EXPECT_EQ(shared["contended"], false);
  EXPECT_NE(shared["not_judged"].get<std::string>().find("share a CPU"),
            std::string::npos);
  auto unpinned = bench::contention_json(d, p, {-1});
  EXPECT_EQ(unpinned["judged"], false);
  EXPECT_NE(unpinned["not_judged"].get<std::string>().find("not pinned"),
            std::string::npos);
  bench::CpuCost with_threads = d;
  with_threads.transport_threads_ns = 1;
  auto own = bench::contention_json(with_threads, p, {0, 1});
  EXPECT_EQ(own["judged"], false);
  EXPECT_NE(own["not_judged"].get<std::string>().find("own threads"),
            std::string::npos);
  auto unknown = bench::contention_json(waited(-1, 1'000'000), p, {0, 1});
  EXPECT_EQ(unknown["judged"], false);
  EXPECT_TRUE(unknown["driver_run_delay_fraction"].is_null());
}

TEST(Contention, RunDelaysAddAndSubtractUnlessUnknown) {
  bench::CpuCost a = waited(10, 100), b = waited(4, 40);
  EXPECT_EQ((a - b).run_delay_ns, 6);
  EXPECT_EQ((a - b).wall_ns, 60);
  a += b;
  EXPECT_EQ(a.run_delay_ns, 14);
  EXPECT_EQ((a - waited(-1, 0)).run_delay_ns, -1);
  const auto back = bench::CpuCost::from_json(waited(7, 70).to_json());
  EXPECT_EQ(back.run_delay_ns, 7);
  EXPECT_EQ(back.wall_ns, 70);
}

// A thread that keeps `cpu` busy until destroyed.
struct Hog {
  std::atomic<bool> stop{false};
  std::thread thread;
  explicit Hog(int cpu)
      : thread([this, cpu] {
          cpu_set_t set;
          CPU_ZERO(&set);
          CPU_SET(cpu, &set);
          ::pthread_setaffinity_np(::pthread_self(), sizeof set, &set);
          volatile std::uint64_t x = 0;
          while (!stop.load(std::memory_order_relaxed)) x = x + 1;
        }) {}
  ~Hog() {
    stop = true;
    thread.join();
  }
};

TEST(Contention, ABusyThreadOnThePeersCpuIsReported) {
  if (sys::this_thread_run_delay_ns() < 0)
    GTEST_SKIP() << "this kernel does not report run delays (schedstat)";
  const std::vector<int>& cpus = harness::initial_cpus();
  if (cpus.size() < 2) GTEST_SKIP() << "needs two CPUs, has " << cpus.size();
  const int driver = cpus[0], peer = cpus[1];
  ScratchDir dir;
  const std::string out = dir.path + "/results.json";
  testing::ProcessResult r;
  {
    Hog hog(peer);
    r = run_ipcbench(
        {"--transports=pipe", "--sizes=64", "--scenarios=pingpong",
         "--benchmark_min_time=0.2", "--baselines=none",
         "--placement=" + std::to_string(driver) + ":" + std::to_string(peer),
         "--out=" + out});
  }
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = testing::load_results(out);
  const auto& rec = doc["ipcbench"]["benchmarks"].at(0);
  ASSERT_FALSE(rec.contains("error")) << rec["error"];
  const auto& c = rec["contention"];
  EXPECT_EQ(c["judged"], true) << c;
  EXPECT_EQ(c["contended"], true) << c;
  EXPECT_GT(c["peer_run_delay_fraction"].get<double>(),
            bench::kContentionFraction)
      << c;
  const auto& listed = doc["ipcbench"]["contended"];
  ASSERT_EQ(listed.size(), 1u) << listed;
  EXPECT_EQ(listed[0]["name"], rec["name"]);
  EXPECT_NE(r.err.find("waited for their CPU"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ipcb
