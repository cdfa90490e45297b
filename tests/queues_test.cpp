// The message-queue transports (posix_mq, sysv_mq, bipc_mq): teardown leaves
// no queue behind, a name that is already taken is refused (and left alone),
// messages above the kernel's per-message limit are fragmented and arrive
// byte-exact, and a peer killed mid-run is a reported failure, not a hang.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <mqueue.h>
#include <sys/mman.h>
#include <sys/msg.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/naming.hpp"
#include "harness/pair.hpp"
#include "peer_exchange.hpp"
#include "test_util.hpp"
#include "transports/registry.hpp"

namespace ipcb {
namespace {

using transports::Wait;

constexpr std::size_t kMiB = 1 << 20;
const std::vector<std::string> kQueues = {"posix_mq", "sysv_mq", "bipc_mq"};

// What one conformance run between two real processes left to inspect.
struct RunOutcome {
  std::string prefix;
  std::map<std::string, std::int64_t> applied;  // driver side
  std::vector<int> sysv_msg_ids;
};

std::vector<int> recorded_msg_ids(const std::string& dir) {
  std::vector<int> ids;
  std::istringstream in(testing::slurp(dir + "/ipc-objects"));
  std::string kind, label;
  int id;
  while (in >> kind >> id >> label) {
    if (kind == "msg") ids.push_back(id);
  }
  return ids;
}

// Moves every size both ways through `name`, then tears it down.
RunOutcome run_conformance(const std::string& name, Wait wait,
                           const std::vector<std::size_t>& sizes) {
  harness::IpcNames names;
  RunOutcome out{names.prefix(), {}, {}};
  transports::Config cfg{kMiB, wait, names.dir(), names.prefix()};
  auto t = transports::create_transport(name, cfg);
  testing::exchange_with_peer(name, cfg, *t, sizes,
                              [&] { out.applied = t->applied_settings(); });
  out.sysv_msg_ids = recorded_msg_ids(names.dir());
  return out;
}

bool mq_exists(const std::string& name) {
  mqd_t q = ::mq_open(name.c_str(), O_RDONLY);
  if (q == -1) return errno != ENOENT;
  ::mq_close(q);
  return true;
}

bool shm_exists(const std::string& name) {
  int fd = ::shm_open(name.c_str(), O_RDONLY, 0);
  if (fd == -1) return errno != ENOENT;
  ::close(fd);
  return true;
}

void expect_nothing_left(const RunOutcome& r) {
  for (const char* dir : {"/dev/shm", "/dev/mqueue"}) {
    auto left = testing::entries_with_prefix(dir, r.prefix);
    EXPECT_TRUE(left.empty()) << left.front() << " left behind";
  }
  for (const char* dir : {"-a2b", "-b2a"}) {
    const std::string name = "/" + r.prefix + dir;
    EXPECT_FALSE(mq_exists(name)) << "POSIX queue " << name << " left behind";
    EXPECT_FALSE(shm_exists(name)) << "shm object " << name << " left behind";
  }
  for (int id : r.sysv_msg_ids) {
    msqid_ds ds{};
    EXPECT_EQ(::msgctl(id, IPC_STAT, &ds), -1) << "msg queue " << id;
    EXPECT_TRUE(errno == EINVAL || errno == EIDRM) << std::strerror(errno);
  }
}

class Queue : public ::testing::TestWithParam<std::string> {};

TEST_P(Queue, TeardownRemovesEveryObjectForEveryWait) {
  const auto* info = transports::find_transport(GetParam());
  ASSERT_NE(info, nullptr);
  if (auto why = info->unavailable_reason()) GTEST_SKIP() << *why;
  for (Wait wait : info->caps.waits) {
    SCOPED_TRACE(transports::to_string(wait));
    RunOutcome r = run_conformance(GetParam(), wait, {1, 4097});
    EXPECT_FALSE(r.applied.empty());
    if (GetParam() == "sysv_mq") {
      EXPECT_EQ(r.sysv_msg_ids.size(), 2u);
    }
    expect_nothing_left(r);
  }
}

INSTANTIATE_TEST_SUITE_P(MessageQueues, Queue, ::testing::ValuesIn(kQueues),
                         [](const auto& info) { return info.param; });

// A 1 MiB message crosses a queue whose per-message limit is far smaller.
TEST(QueueFragmentation, OneMebibyteCrossesAKernelQueueInFragments) {
  const std::vector<std::pair<std::string, std::string>> limit_of = {
      {"posix_mq", "mq_msgsize_bytes"}, {"sysv_mq", "fragment_bytes"}};
  for (const auto& [name, key] : limit_of) {
    SCOPED_TRACE(name);
    RunOutcome r = run_conformance(name, Wait::kBlock, {kMiB, 3, kMiB - 1});
    ASSERT_TRUE(r.applied.count(key)) << key;
    EXPECT_GT(r.applied[key], 0);
    EXPECT_LT(r.applied[key], static_cast<std::int64_t>(kMiB))
        << "no fragmentation happened: raise nothing, lower the limit";
    expect_nothing_left(r);
  }
}

TEST(QueueFragmentation, BoostQueueHoldsTheWholeMessage) {
  RunOutcome r = run_conformance("bipc_mq", Wait::kBlock, {kMiB, 1});
  EXPECT_EQ(r.applied["max_msg_size_bytes"], static_cast<std::int64_t>(kMiB));
  EXPECT_EQ(r.applied["max_num_msg"], 10);
  EXPECT_GE(r.applied["shm_bytes"], static_cast<std::int64_t>(10 * kMiB));
}

// Someone else's object with our name: prepare() fails naming it, and
// teardown() removes only what this transport created.
void expect_taken_name_refused(const std::string& transport,
                               const std::string& suffix,
                               void (*make)(const std::string&),
                               bool (*exists)(const std::string&),
                               int (*remove)(const char*)) {
  SCOPED_TRACE(transport + suffix);
  harness::IpcNames names;
  const std::string taken = "/" + names.prefix() + suffix;
  const std::string other =
      "/" + names.prefix() + (suffix == "-a2b" ? "-b2a" : "-a2b");
  make(taken);
  auto t = transports::create_transport(
      transport, {64, Wait::kBlock, names.dir(), names.prefix()});
  try {
    t->prepare();
    ADD_FAILURE() << "prepare() reused " << taken;
  } catch (const std::exception& e) {
    std::string what = e.what();
    EXPECT_NE(what.find(taken), std::string::npos) << what;
    EXPECT_NE(what.find("already exists"), std::string::npos) << what;
  }
  t->teardown();
  EXPECT_TRUE(exists(taken)) << "teardown removed someone else's object";
  EXPECT_FALSE(exists(other)) << "teardown left our own object";
  remove(taken.c_str());
}

TEST(QueueNames, PosixQueueThatExistsIsRefusedAndLeftAlone) {
  auto make = [](const std::string& n) {
    mqd_t q = ::mq_open(n.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, nullptr);
    ASSERT_NE(q, -1) << std::strerror(errno);
    ::mq_close(q);
  };
  for (const char* s : {"-a2b", "-b2a"})
    expect_taken_name_refused("posix_mq", s, make, mq_exists, ::mq_unlink);
}

TEST(QueueNames, BoostQueueWhoseShmExistsIsRefusedAndLeftAlone) {
  auto make = [](const std::string& n) {
    int fd = ::shm_open(n.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
    ASSERT_NE(fd, -1) << std::strerror(errno);
    ::close(fd);
  };
  for (const char* s : {"-a2b", "-b2a"})
    expect_taken_name_refused("bipc_mq", s, make, shm_exists, ::shm_unlink);
}

// The real binary: fragmented streams pass their checksum and record the
// kernel's limits as applied settings.
TEST(QueueCli, StreamRecordsAppliedLimits) {
  testing::ScratchDir dir;
  const std::string out = dir.path + "/results.json";
  auto r = testing::run_ipcbench({"--transports=posix_mq,sysv_mq,bipc_mq",
                                  "--sizes=64K", "--scenarios=stream",
                                  "--wait=block", "--benchmark_min_time=0.01",
                                  "--baselines=none", "--out=" + out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = nlohmann::json::parse(testing::slurp(out));
  ASSERT_EQ(doc["ipcbench"]["benchmarks"].size(), 3u);
  for (const auto& rec : doc["ipcbench"]["benchmarks"]) {
    const auto& a = rec["applied"];
    if (rec["transport"] == "posix_mq") {
      EXPECT_EQ(a["mq_msgsize_bytes"], a["msgsize_max_bytes"]) << a;
      EXPECT_LE(a["mq_maxmsg"].get<int>(), a["msg_max"].get<int>()) << a;
    } else if (rec["transport"] == "sysv_mq") {
      EXPECT_LE(a["fragment_bytes"].get<int>(), a["msgmax_bytes"].get<int>());
      EXPECT_LE(a["fragment_bytes"].get<int>(),
                a["msg_qbytes_bytes"].get<int>());
    } else {
      EXPECT_EQ(a["max_msg_size_bytes"], 65536) << a;
    }
  }
}

// A peer SIGKILLed mid-run: every queue benchmark fails with the signal, the
// suite goes on and the driver never hangs (a hang would hit the test
// timeout; the harness's own timeout is kept short). The stream peer dies at
// its 21st timed message, so the minimum time is long enough that Google
// Benchmark never settles for 20 iterations or fewer on a loaded machine;
// every run ends at the fault, so this costs no time.
TEST(QueueCli, KilledPeerIsAReportedFailureForEveryQueueBenchmark) {
  testing::ScratchDir dir;
  const std::string out = dir.path + "/results.json";
  auto r = testing::run_ipcbench(
      {"--transports=posix_mq,sysv_mq,bipc_mq", "--sizes=64,64K",
       "--scenarios=pingpong,stream", "--benchmark_min_time=1",
       "--inject-peer-fault=kill@run:20", "--timeout=5", "--baselines=none",
       "--out=" + out});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto doc = nlohmann::json::parse(testing::slurp(out));
  std::size_t cases = 0;
  for (const auto& name : kQueues)
    cases += 2 * 2 * transports::find_transport(name)->caps.waits.size();
  const auto& failures = doc["ipcbench"]["failures"];
  ASSERT_EQ(failures.size(), cases) << failures;
  for (const auto& f : failures) {
    std::string e = f["error"];
    EXPECT_NE(e.find("signal 9 (KILL)"), std::string::npos) << e;
    EXPECT_EQ(e.find("stopped answering"), std::string::npos) << e;
  }
  EXPECT_EQ(doc["ipcbench"]["complete"], true);
}

}  // namespace
}  // namespace ipcb
