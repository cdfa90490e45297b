// Stale IPC objects of dead runs are found and removed; those of live
// processes are kept. Interrupting the driver keeps a valid, incomplete file.
#include "harness/cleanup.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "test_util.hpp"
#include "transports/sys.hpp"

namespace ipcb {
namespace {

int dead_pid() {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

void touch(const std::string& path) {
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_EXCL, 0600);
  ASSERT_GE(fd, 0) << path;
  ::close(fd);
}

TEST(Cleanup, OwnerPidParsesOurNamesOnly) {
  EXPECT_EQ(harness::owner_pid("ipcb_1234_00ff-ring"), 1234);
  EXPECT_EQ(harness::owner_pid("sem.ipcb_77_abc"), 77);
  EXPECT_EQ(harness::owner_pid("ipcb_x_1"), -1);
  EXPECT_EQ(harness::owner_pid("ipcb_12"), -1);
  EXPECT_EQ(harness::owner_pid("other_1234_x"), -1);
}

TEST(Cleanup, RemovesExactlyTheDeadRunsObjects) {
  const std::string dead =
      "ipcb_" + std::to_string(dead_pid()) + "_0123456789abcdef";
  const std::string live =
      "ipcb_" + std::to_string(::getpid()) + "_fedcba9876543210";
  // A dead run: private dir with a FIFO and a manifest of System V objects,
  // a POSIX shm object and a named semaphore.
  const std::string dir = "/tmp/" + dead;
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(::mkfifo((dir + "/fifo-a2b").c_str(), 0600), 0);
  int shm = ::shmget(IPC_PRIVATE, 4096, IPC_CREAT | IPC_EXCL | 0600);
  int sem = ::semget(IPC_PRIVATE, 2, IPC_CREAT | IPC_EXCL | 0600);
  ASSERT_GE(shm, 0);
  ASSERT_GE(sem, 0);
  transports::record_sysv_object(dir, "shm", shm, "shm");
  transports::record_sysv_object(dir, "sem", sem, "sem");
  touch("/dev/shm/" + dead + "-shm");
  touch("/dev/shm/sem." + dead + "-a2b");
  // A live run's objects.
  const std::string live_dir = "/tmp/" + live;
  ASSERT_EQ(::mkdir(live_dir.c_str(), 0700), 0);
  touch("/dev/shm/" + live + "-shm");

  harness::CleanupReport r = harness::remove_stale_objects();
  EXPECT_TRUE(r.failed.empty()) << r.failed.front();
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_FALSE(std::filesystem::exists("/dev/shm/" + dead + "-shm"));
  EXPECT_FALSE(std::filesystem::exists("/dev/shm/sem." + dead + "-a2b"));
  shmid_ds sds{};
  EXPECT_EQ(::shmctl(shm, IPC_STAT, &sds), -1);
  EXPECT_EQ(::semctl(sem, 0, IPC_STAT, nullptr), -1);
  EXPECT_GE(r.removed.size(), 5u);
  EXPECT_TRUE(std::filesystem::exists(live_dir));
  EXPECT_TRUE(std::filesystem::exists("/dev/shm/" + live + "-shm"));
  ::unlink(("/dev/shm/" + live + "-shm").c_str());
  ::rmdir(live_dir.c_str());
}

TEST(Cleanup, CommandReportsWhatItRemoved) {
  const std::string dead =
      "ipcb_" + std::to_string(dead_pid()) + "_aaaaaaaaaaaaaaaa";
  touch("/dev/shm/" + dead + "-ring");
  auto r = testing::run_ipcbench({"--cleanup"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("removed shared memory /dev/shm/" + dead + "-ring"),
            std::string::npos)
      << r.out;
  EXPECT_FALSE(std::filesystem::exists("/dev/shm/" + dead + "-ring"));
}

// Starts ipcbench, waits until its results file exists (the run has begun),
// sends `sig`, and returns the exit code.
int interrupt_run(int sig, const std::string& out) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execl(IPCBENCH_PATH, IPCBENCH_PATH,
            "--transports=pipe,fifo,unix_stream,tcp", "--sizes=64,4K,64K",
            ("--out=" + out).c_str(), nullptr);
    ::_exit(127);
  }
  for (int i = 0; i < 600 && !std::filesystem::exists(out); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ::kill(pid, sig);
  int st = 0;
  ::waitpid(pid, &st, 0);
  EXPECT_TRUE(
      testing::entries_with_prefix("/tmp", "ipcb_" + std::to_string(pid) + "_")
          .empty());
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

TEST(Interrupt, SigintKeepsAValidIncompleteResultsFile) {
  testing::ScratchDir dir;
  const std::string out = dir.path + "/results.json";
  EXPECT_EQ(interrupt_run(SIGINT, out), 130);
  auto doc = nlohmann::json::parse(testing::slurp(out));
  EXPECT_EQ(doc["ipcbench"]["complete"], false);
  EXPECT_EQ(doc["ipcbench"]["interrupted"], "SIGINT");
  EXPECT_TRUE(doc["benchmarks"].is_array());
}

TEST(Interrupt, SigtermExits143WithIncompleteResults) {
  testing::ScratchDir dir;
  const std::string out = dir.path + "/results.json";
  EXPECT_EQ(interrupt_run(SIGTERM, out), 143);
  auto doc = nlohmann::json::parse(testing::slurp(out));
  EXPECT_EQ(doc["ipcbench"]["interrupted"], "SIGTERM");
}

// Pids whose parent is `parent` (scans /proc/*/stat).
std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> kids;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = testing::slurp("/proc/" + name + "/stat");
    auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    int ppid = 0;
    char state = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) == 2 &&
        ppid == parent)
      kids.push_back(std::stoi(name));
  }
  return kids;
}

pid_t start_ipcbench(const std::vector<std::string>& args) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    std::vector<std::string> all = {IPCBENCH_PATH};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

TEST(Faults, StoppedPeerTimesOutAndIsReported) {
  testing::ScratchDir dir;
  const std::string out = dir.path + "/results.json";
  // The peer stops itself with SIGSTOP at its 5th message: a stopped process
  // that only the timeout can deal with.
  pid_t driver = start_ipcbench(
      {"--transports=fifo,shm_sem", "--sizes=64", "--scenarios=stream",
       "--timeout=2", "--benchmark_min_time=0.01",
       "--inject-peer-fault=stop@run:5", "--baselines=none", "--out=" + out});
  int st = 0;
  ::waitpid(driver, &st, 0);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 1);
  auto doc = nlohmann::json::parse(testing::slurp(out));
  ASSERT_EQ(doc["ipcbench"]["failures"].size(), 2u);
  for (const auto& f : doc["ipcbench"]["failures"]) {
    std::string e = f["error"];
    EXPECT_NE(e.find("stopped answering"), std::string::npos) << e;
  }
  EXPECT_TRUE(testing::entries_with_prefix(
                  "/tmp", "ipcb_" + std::to_string(driver) + "_")
                  .empty());
  EXPECT_TRUE(testing::entries_with_prefix(
                  "/dev/shm", "ipcb_" + std::to_string(driver) + "_")
                  .empty());
}

TEST(Faults, KilledDriverLeavesAParseableFileAndCleanableObjects) {
  testing::ScratchDir dir;
  const std::string out = dir.path + "/results.json";
  pid_t driver =
      start_ipcbench({"--transports=pipe,fifo,unix_stream,tcp", "--sizes=64,4K",
                      "--scenarios=pingpong", "--out=" + out});
  // Wait until at least one benchmark is in the file, then kill -9.
  for (int i = 0; i < 600; ++i) {
    auto doc = nlohmann::json::parse(testing::slurp(out), nullptr, false);
    if (!doc.is_discarded() && doc["benchmarks"].size() >= 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::vector<pid_t> peers = children_of(driver);
  ::kill(driver, SIGKILL);
  ::waitpid(driver, nullptr, 0);
  auto doc = nlohmann::json::parse(testing::slurp(out));  // never torn
  EXPECT_EQ(doc["ipcbench"]["complete"], false);
  EXPECT_GE(doc["benchmarks"].size(), 1u);
  // Peers die with their driver (PR_SET_PDEATHSIG).
  for (pid_t p : peers) {
    for (int i = 0; i < 250 && ::kill(p, 0) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_NE(::kill(p, 0), 0) << "peer " << p << " outlived its driver";
  }
  harness::remove_stale_objects();
  EXPECT_TRUE(testing::entries_with_prefix(
                  "/tmp", "ipcb_" + std::to_string(driver) + "_")
                  .empty());
}

}  // namespace
}  // namespace ipcb
