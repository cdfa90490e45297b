// --malloc: glibc's thresholds fixed (steady) or left to glibc, the same in
// the driver and every peer, and recorded. What is asserted is where a
// large block comes from (mallinfo2's count of mmapped blocks), never how
// long anything takes.
#include "harness/malloc_policy.hpp"

#include <gtest/gtest.h>
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench/job.hpp"
#include "bench/scenarios/registry.hpp"
#include "harness/pair.hpp"
#include "test_util.hpp"
#include "transports/registry.hpp"

namespace ipcb {
namespace {

using testing::run_ipcbench;
using testing::ScratchDir;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitizerAllocator = true;
#else
constexpr bool kSanitizerAllocator = false;
#endif

TEST(MallocPolicy, NamesRoundTripAndOthersAreRefused) {
  for (auto p : {harness::MallocPolicy::kSteady, harness::MallocPolicy::kGlibc})
    EXPECT_EQ(harness::parse_malloc_policy(harness::to_string(p)), p);
  EXPECT_FALSE(harness::parse_malloc_policy("Steady").has_value());
  EXPECT_FALSE(harness::parse_malloc_policy("").has_value());
}

// In a child, so that this process keeps its allocator as it was: whether a
// 4 MiB block, written and freed, was served by a fresh mmap. `setup` runs
// first.
template <class Setup>
bool large_block_is_mmapped(Setup setup) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    setup();
    const std::size_t before = ::mallinfo2().hblks;
    auto* p = static_cast<volatile char*>(std::malloc(4u << 20));
    std::memset(const_cast<char*>(p), 1, 4u << 20);
    const std::size_t during = ::mallinfo2().hblks;
    const int code = p[100] == 1 ? (during > before ? 1 : 0) : 2;
    std::free(const_cast<char*>(p));
    ::_exit(code);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_NE(WEXITSTATUS(status), 2);
  return WEXITSTATUS(status) == 1;
}

TEST(MallocPolicy, SteadyServesLargeBlocksFromTheHeap) {
  if (kSanitizerAllocator) {
    // The sanitizer's allocator refuses mallopt, and the run says so.
    EXPECT_NE(harness::apply_malloc_policy(harness::MallocPolicy::kSteady), "");
    GTEST_SKIP() << "AddressSanitizer's allocator replaces glibc's";
  }
  // glibc as a process starts: 128 KiB and more is mmapped (the check can
  // see an mmapped block).
  EXPECT_TRUE(
      large_block_is_mmapped([] { ::mallopt(M_MMAP_THRESHOLD, 128 << 10); }));
  EXPECT_FALSE(large_block_is_mmapped([] {
    EXPECT_EQ(harness::apply_malloc_policy(harness::MallocPolicy::kSteady), "");
  }));
  // glibc changes nothing.
  EXPECT_TRUE(large_block_is_mmapped([] {
    ::mallopt(M_MMAP_THRESHOLD, 128 << 10);
    EXPECT_EQ(harness::apply_malloc_policy(harness::MallocPolicy::kGlibc), "");
  }));
}

TEST(MallocPolicy, TheJobCarriesItAndAnOldJobMeansGlibc) {
  bench::Job job;
  job.scenario = "pingpong";
  job.malloc = "steady";
  EXPECT_EQ(bench::Job::from_json(job.to_json()).malloc, "steady");
  nlohmann::json old = job.to_json();
  old.erase("malloc");
  EXPECT_EQ(bench::Job::from_json(old).malloc, "glibc");
}

// The peer applies the policy of its job and says which it has; a policy it
// does not know fails the setup, naming it.
nlohmann::json peer_done_with(const std::string& policy) {
  ScratchDir dir;
  transports::Config cfg;
  cfg.max_message_bytes = 64;
  cfg.dir = dir.path;
  auto t = transports::create_transport("pipe", cfg);
  bench::Job job;
  job.scenario = "conformance";
  job.sizes = {64};
  job.malloc = policy;
  harness::PeerSpec spec{IPCBENCH_PATH,
                         "pipe",
                         cfg,
                         job.to_json(),
                         -1,
                         std::chrono::milliseconds(20000),
                         ""};
  harness::Pair pair(spec, *t);
  nlohmann::json done;
  try {
    t->connect(transports::Role::kDriver);
    pair.start_gate();
    bench::drive_conformance(*t, job);
    done = pair.finish();
  } catch (const std::exception& e) {
    done = {{"error", pair.explain_failure(e)}};
  }
  t->teardown();
  return done;
}

TEST(MallocPolicy, ThePeerAppliesTheDriversPolicy) {
  nlohmann::json done = peer_done_with("steady");
  ASSERT_FALSE(done.contains("error")) << done.dump();
  EXPECT_EQ(done["malloc"], kSanitizerAllocator ? "glibc" : "steady");
  done = peer_done_with("glibc");
  ASSERT_FALSE(done.contains("error")) << done.dump();
  EXPECT_EQ(done["malloc"], "glibc");
  done = peer_done_with("bogus");
  ASSERT_TRUE(done.contains("error"));
  EXPECT_NE(
      done["error"].get<std::string>().find("unknown malloc policy bogus"),
      std::string::npos)
      << done.dump();
}

nlohmann::json small_run(const std::vector<std::string>& extra,
                         const ScratchDir& dir) {
  std::vector<std::string> args = {
      "--transports=pipe",         "--sizes=64",
      "--scenarios=pingpong",      "--baselines=none",
      "--benchmark_min_time=0.01", "--out=" + dir.path + "/r.json"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = run_ipcbench(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return testing::load_results(dir.path + "/r.json");
}

TEST(MallocPolicy, TheRunRecordsItAndWarnsWhenLeftToGlibc) {
  ScratchDir a, b;
  const auto steady = small_run({}, a)["ipcbench"];
  EXPECT_EQ(steady["malloc"]["policy"], "steady");
  EXPECT_EQ(steady["malloc"]["mmap_threshold_bytes"],
            harness::kSteadyMmapThresholdBytes);
  EXPECT_EQ(steady["malloc"]["trim_threshold_bytes"],
            harness::kSteadyTrimThresholdBytes);
  EXPECT_EQ(steady["malloc"].contains("not_applied"), kSanitizerAllocator);
  auto warned = [](const nlohmann::json& block, const std::string& what) {
    for (const auto& w : block["warnings"])
      if (w.get<std::string>().find(what) != std::string::npos) return true;
    return false;
  };
  EXPECT_EQ(warned(steady, "--malloc=steady was not applied"),
            kSanitizerAllocator);
  EXPECT_FALSE(warned(steady, "--malloc=glibc"));
  const auto glibc = small_run({"--malloc=glibc"}, b)["ipcbench"];
  EXPECT_EQ(glibc["malloc"]["policy"], "glibc");
  EXPECT_FALSE(glibc["malloc"].contains("mmap_threshold_bytes"));
  EXPECT_TRUE(warned(glibc, "--malloc=glibc"));
}

}  // namespace
}  // namespace ipcb
