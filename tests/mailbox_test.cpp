// The shared-memory mailbox transports (shm_sem, shm_sysv, shm_mutex,
// mmap_file, bipc_shm, eventfd, signal): teardown leaves no object behind, a
// name that is already taken is refused and left alone, the robust mutex
// survives an owner that died, and a peer killed mid-run is reported without
// the driver hanging.
#include "transports/mailbox.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/statfs.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "harness/naming.hpp"
#include "harness/pair.hpp"
#include "peer_exchange.hpp"
#include "sys/cancel.hpp"
#include "test_util.hpp"
#include "transports/registry.hpp"

namespace ipcb {
namespace {

using transports::Config;

const std::vector<std::string> kMailboxes = {
    "shm_sem",  "shm_sysv", "shm_mutex", "mmap_file",
    "bipc_shm", "eventfd",  "signal"};

using Hook = std::function<void(const Config&, transports::Transport&)>;

// Runs a short exchange over `name` with a real peer. `during` runs while
// the peer is connected; `torn_down` once the pair has torn the transport
// down; `gone` once the transport object is destroyed too (still before the
// run's private directory goes).
void run_with_peer(const std::string& name, const Hook& during,
                   const Hook& torn_down,
                   const std::function<void(const Config&)>& gone) {
  harness::IpcNames names;
  Config cfg{64 << 10, transports::Wait::kBlock, names.dir(), names.prefix()};
  auto t = transports::create_transport(name, cfg);
  testing::exchange_with_peer(name, cfg, *t, {1, 4097, 65536},
                              [&] { during(cfg, *t); });
  torn_down(cfg, *t);
  t.reset();
  gone(cfg);
}

std::vector<std::pair<std::string, int>> sysv_objects(const std::string& dir) {
  std::vector<std::pair<std::string, int>> out;
  std::istringstream in(testing::slurp(dir + "/ipc-objects"));
  std::string kind, label;
  int id;
  while (in >> kind >> id >> label) out.emplace_back(kind, id);
  return out;
}

bool sysv_exists(const std::string& kind, int id) {
  if (kind == "shm") {
    shmid_ds ds{};
    return ::shmctl(id, IPC_STAT, &ds) == 0;
  }
  semid_ds ds{};
  return ::semctl(id, 0, IPC_STAT, &ds) == 0;
}

bool rt_signal_blocked() {
  sigset_t now;
  ::pthread_sigmask(SIG_BLOCK, nullptr, &now);
  return sigismember(&now, SIGRTMIN + 1) == 1;
}

TEST(Mailbox, TeardownLeavesNoObjectBehind) {
  for (const auto& name : kMailboxes) {
    SCOPED_TRACE(name);
    std::vector<std::pair<std::string, int>> sysv;
    std::vector<std::string> shm_during;
    bool blocked_during = false;
    const bool blocked_before = rt_signal_blocked();
    run_with_peer(
        name,
        [&](const Config& c, transports::Transport& t) {
          sysv = sysv_objects(c.dir);
          shm_during = testing::entries_with_prefix("/dev/shm", c.name_prefix);
          blocked_during = rt_signal_blocked();
          auto applied = t.applied_settings();
          EXPECT_GE(applied.at("mailbox_slots_per_direction"), 2);
          EXPECT_LE(applied.at("mailbox_slots_per_direction"), 16);
          if (name == "mmap_file") {
            EXPECT_TRUE(std::filesystem::exists(c.dir + "/mailbox"));
            struct statfs sf {};
            ASSERT_EQ(::statfs(c.dir.c_str(), &sf), 0);
            EXPECT_EQ(applied.at("mmap_file_fs_magic"),
                      static_cast<std::int64_t>(sf.f_type));
          }
        },
        [&](const Config& c, transports::Transport&) {
          EXPECT_TRUE(
              testing::entries_with_prefix("/dev/shm", c.name_prefix).empty());
          EXPECT_FALSE(std::filesystem::exists(c.dir + "/mailbox"));
          EXPECT_EQ(rt_signal_blocked(), blocked_before);
          // The semaphore set is gone; the segment is marked for removal
          // and goes when the last side detaches.
          for (const auto& [kind, id] : sysv) {
            shmid_ds ds{};
            if (kind == "sem") {
              EXPECT_FALSE(sysv_exists(kind, id)) << id;
            } else if (::shmctl(id, IPC_STAT, &ds) == 0) {
              EXPECT_TRUE(ds.shm_perm.mode & SHM_DEST) << id;
            }
          }
        },
        [&](const Config&) {
          for (const auto& [kind, id] : sysv)
            EXPECT_FALSE(sysv_exists(kind, id)) << kind << " " << id;
        });
    if (name == "shm_sem" || name == "shm_mutex" || name == "bipc_shm") {
      EXPECT_EQ(shm_during.size(), 1u) << "no /dev/shm entry while running";
    }
    if (name == "shm_sysv") {
      ASSERT_EQ(sysv.size(), 2u);  // the segment and the semaphore set
      EXPECT_EQ(sysv[0].first, "shm");
      EXPECT_EQ(sysv[1].first, "sem");
    }
    if (name == "signal") {
      EXPECT_TRUE(blocked_during);
    }
  }
}

// An object with the name a transport would create already exists.
struct Squatter {
  const char* transport;
  std::function<std::string(const Config&)> path;  // what the test creates
};

TEST(Mailbox, PreExistingObjectIsRefusedAndLeftAlone) {
  const std::vector<Squatter> cases = {
      {"shm_sem",
       [](const Config& c) { return "/dev/shm/" + c.name_prefix + "-shm"; }},
      {"shm_mutex",
       [](const Config& c) { return "/dev/shm/" + c.name_prefix + "-shm"; }},
      {"bipc_shm",
       [](const Config& c) { return "/dev/shm/" + c.name_prefix + "-bipc"; }},
      {"mmap_file", [](const Config& c) { return c.dir + "/mailbox"; }},
  };
  for (const auto& sq : cases) {
    SCOPED_TRACE(sq.transport);
    harness::IpcNames names;
    Config cfg{64, transports::Wait::kBlock, names.dir(), names.prefix()};
    const std::string path = sq.path(cfg);
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
    ASSERT_GE(fd, 0) << path;
    ::close(fd);
    auto t = transports::create_transport(sq.transport, cfg);
    try {
      t->prepare();
      ADD_FAILURE() << "prepare() reused " << path;
    } catch (const std::runtime_error& e) {
      std::string what = e.what();
      EXPECT_NE(what.find("already exists"), std::string::npos) << what;
      EXPECT_NE(what.find(names.prefix()), std::string::npos) << what;
    }
    t->teardown();
    EXPECT_TRUE(std::filesystem::exists(path)) << "removed what it refused";
    ::unlink(path.c_str());
  }
}

// Maps an anonymous shared region for a notifier's state.
struct SharedState {
  std::size_t bytes;
  void* p;
  explicit SharedState(std::size_t n)
      : bytes(n),
        p(::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                 -1, 0)) {}
  ~SharedState() { ::munmap(p, bytes); }
  std::byte* data() const { return static_cast<std::byte*>(p); }
};

TEST(Mailbox, RobustMutexRecoversWhenItsOwnerDied) {
  using transports::kFullA2B;
  auto n = transports::robust_mutex_notifier();
  SharedState shared(n->shared_bytes());
  ASSERT_NE(shared.p, MAP_FAILED);
  n->create(shared.data(), {0, 1, 0, 1});
  auto* counters = reinterpret_cast<transports::RobustCounter*>(shared.data());
  pid_t pid = ::fork();
  if (pid == 0) {  // dies holding the mutex
    ::pthread_mutex_lock(&counters[kFullA2B].mutex);
    ::_exit(0);
  }
  int st = 0;
  ASSERT_EQ(::waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFEXITED(st));
  n->post(kFullA2B);  // finds EOWNERDEAD, makes the mutex consistent
  n->wait(kFullA2B);
  EXPECT_EQ(n->settings().at("robust_mutex_owner_deaths"), 1);
  n->post(kFullA2B);  // and it is an ordinary mutex again
  n->wait(kFullA2B);
  EXPECT_EQ(n->settings().at("robust_mutex_owner_deaths"), 1);
}

TEST(Mailbox, RobustMutexWaitEndsWhenTheHarnessCancels) {
  auto n = transports::robust_mutex_notifier();
  SharedState shared(n->shared_bytes());
  ASSERT_NE(shared.p, MAP_FAILED);
  n->create(shared.data(), {0, 1, 0, 1});
  sys::request_cancel();
  EXPECT_THROW(n->wait(transports::kFullB2A), sys::Cancelled);
  sys::reset_cancel();
}

TEST(Mailbox, SlotCountIsBoundedByCountAndMemory) {
  EXPECT_EQ(transports::mailbox_slots(64), 16u);
  EXPECT_EQ(transports::mailbox_slots(64 << 10), 16u);
  EXPECT_EQ(transports::mailbox_slots(1 << 20), 3u);  // 4 MiB per direction
  EXPECT_EQ(transports::mailbox_slots(64 << 20), 2u);
}

TEST(Mailbox, OversizedMessageIsRefused) {
  harness::IpcNames names;
  Config cfg{64, transports::Wait::kBlock, names.dir(), names.prefix()};
  auto t = transports::create_transport("shm_sem", cfg);
  t->prepare();
  t->connect(transports::Role::kDriver);
  std::vector<std::byte> big(65);
  EXPECT_THROW(t->send(big.data(), big.size()), std::length_error);
  t->teardown();
}

// Runs ipcbench like testing::run_ipcbench, but an alarm in the child ends
// a driver that hangs (the test then fails instead of hanging).
testing::ProcessResult run_ipcbench_bounded(std::vector<std::string> args,
                                            unsigned limit_s, pid_t& pid) {
  testing::ScratchDir io;
  std::string out = io.path + "/out", err = io.path + "/err";
  args.insert(args.begin(), IPCBENCH_PATH);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid = ::fork();
  if (pid == 0) {
    int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(o, 1);
    ::dup2(e, 2);
    ::alarm(limit_s);  // survives exec; SIGALRM's default action ends it
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  testing::ProcessResult r;
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = testing::slurp(out);
  r.err = testing::slurp(err);
  return r;
}

// A peer SIGKILLed mid-run: each benchmark fails naming signal 9, the driver
// goes on to the next one (exit code 1) and nothing named is left. pingpong
// counts the fault from the first warm-up message, so "run:20" always fires;
// stream counts measured messages only, and Google Benchmark may run fewer
// than 20, so stream is killed at its first measured message.
void expect_killed_peer_reported(const std::string& scenario,
                                 const std::string& fault) {
  SCOPED_TRACE(scenario);
  testing::ScratchDir dir;
  std::string out = dir.path + "/results.json", list;
  for (const auto& t : kMailboxes) {
    if (!list.empty()) list += ",";
    list += t;
  }
  pid_t pid = -1;
  auto r = run_ipcbench_bounded(
      {"--transports=" + list, "--scenarios=" + scenario, "--sizes=64,64K",
       "--benchmark_min_time=0.01", "--inject-peer-fault=" + fault,
       "--timeout=5", "--baselines=none", "--out=" + out},
      240, pid);
  ASSERT_EQ(r.exit_code, 1) << "128+14 means the driver hung\n" << r.err;
  auto doc = nlohmann::json::parse(testing::slurp(out));
  const auto& failures = doc["ipcbench"]["failures"];
  // 2 sizes x (7 transports + eventfd's spin wait).
  EXPECT_EQ(failures.size(), 16u) << r.err;
  std::set<std::string> failed;
  for (const auto& f : failures) {
    std::string e = f["error"], name = f["name"];
    EXPECT_NE(e.find("signal 9 (KILL)"), std::string::npos) << name << e;
    std::string transport = name.substr(name.find('/') + 1);
    failed.insert(transport.substr(0, transport.find_first_of(":/")));
  }
  EXPECT_EQ(failed.size(), kMailboxes.size());
  const std::string prefix = "ipcb_" + std::to_string(pid) + "_";
  EXPECT_TRUE(testing::entries_with_prefix("/dev/shm", prefix).empty());
  EXPECT_TRUE(testing::entries_with_prefix("/tmp", prefix).empty());
}

TEST(Mailbox, KilledPeerIsReportedAndTheDriverDoesNotHang) {
  expect_killed_peer_reported("pingpong", "kill@run:20");
  expect_killed_peer_reported("stream", "kill@run:0");
}

}  // namespace
}  // namespace ipcb
