// Broker daemons (transports/daemon.hpp) across a whole run and after one:
// none of ours is left after a normal run, after SIGINT to the driver, after
// a peer killed mid-run, after a SIGKILLed driver (PDEATHSIG) and
// `ipcbench --cleanup`; clean-up ends a daemon recorded in a dead run's
// manifest only while it is still that process; a redis-server or
// nats-server that is not ours is never touched. Machine-wide process
// checks: in the RUN_SERIAL binary.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness/naming.hpp"
#include "sys/process.hpp"
#include "test_util.hpp"
#include "transports/daemon.hpp"

namespace ipcb::daemons_test {

using namespace std::chrono_literals;
using testing::ScratchDir;
using testing::slurp;
using testing::spawn_ipcbench;
using transports::Daemon;
using transports::find_executable;

bool have_brokers() {
  return !find_executable("redis-server").empty() &&
         !find_executable("nats-server").empty();
}

// Processes whose stdout is a log in a private directory of `driver`'s runs:
// the daemons it started (their log stays open even once it is deleted).
std::vector<pid_t> daemons_of(pid_t driver) {
  const std::string prefix = "/tmp/ipcb_" + std::to_string(driver) + "_";
  std::vector<pid_t> found;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    char target[4096];
    const std::string fd1 = "/proc/" + name + "/fd/1";
    const ssize_t n = ::readlink(fd1.c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    if (std::string(target, static_cast<std::size_t>(n)).rfind(prefix, 0) == 0)
      found.push_back(std::stoi(name));
  }
  return found;
}

// Polls `done` up to `limit` (a bound for a slow machine, not a timing
// assertion).
bool eventually(const std::function<bool()>& done,
                std::chrono::seconds limit = 30s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

int wait_exit(pid_t pid) {
  int st = 0;
  if (!eventually([&] { return ::waitpid(pid, &st, WNOHANG) == pid; }, 60s)) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &st, 0);
    return -1;
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

bool no_run_dir_of(pid_t driver) {
  return testing::entries_with_prefix("/tmp",
                                      "ipcb_" + std::to_string(driver) + "_")
      .empty();
}

std::vector<std::string> long_run(const std::string& out,
                                  const std::string& transports) {
  return {"--transports=" + transports,
          "--scenarios=pingpong",
          "--sizes=64",
          "--baselines=none",
          "--benchmark_min_time=60",
          "--timeout=10",
          "--out=" + out};
}

// Starts a long run and waits until it has a daemon.
pid_t start_long_run(const ScratchDir& dir, const std::string& transports) {
  const pid_t driver = spawn_ipcbench(
      long_run(dir.path + "/r.json", transports), dir.path + "/log");
  EXPECT_TRUE(eventually([&] { return !daemons_of(driver).empty(); }))
      << slurp(dir.path + "/log");
  return driver;
}

TEST(DaemonLifecycle, NormalRunLeavesNoDaemonAndMeasuresIt) {
  if (!have_brokers()) GTEST_SKIP() << "no redis-server or nats-server";
  ScratchDir dir;
  const std::string out = dir.path + "/r.json";
  const pid_t driver = spawn_ipcbench(
      {"--transports=redis_list,redis_pubsub,redis_stream,nats_pubsub,"
       "nats_request",
       "--scenarios=pingpong", "--sizes=64", "--baselines=none",
       "--benchmark_min_time=0.01", "--out=" + out},
      dir.path + "/log");
  EXPECT_EQ(wait_exit(driver), 0) << slurp(dir.path + "/log");
  EXPECT_TRUE(daemons_of(driver).empty());
  EXPECT_TRUE(no_run_dir_of(driver));
  const auto doc = testing::load_results(out);
  int records = 0;
  for (const auto& rec : doc["ipcbench"]["benchmarks"]) {
    ++records;
    EXPECT_GT(rec["cpu"]["daemon"]["ns_per_msg"].get<double>(), 0)
        << rec["transport"];
  }
  EXPECT_EQ(records, 5);
}

TEST(DaemonLifecycle, SigintToTheDriverLeavesNoDaemon) {
  if (!have_brokers()) GTEST_SKIP() << "no redis-server or nats-server";
  for (const char* t : {"redis_pubsub", "nats_pubsub"}) {
    SCOPED_TRACE(t);
    ScratchDir dir;
    const pid_t driver = start_long_run(dir, t);
    std::this_thread::sleep_for(300ms);
    ::kill(driver, SIGINT);
    EXPECT_NE(wait_exit(driver), -1) << slurp(dir.path + "/log");
    EXPECT_TRUE(daemons_of(driver).empty());
    EXPECT_TRUE(no_run_dir_of(driver));
  }
}

TEST(DaemonLifecycle, APeerKilledMidRunLeavesNoDaemon) {
  if (!have_brokers()) GTEST_SKIP() << "no redis-server or nats-server";
  for (const char* t : {"redis_list", "redis_stream", "nats_request"}) {
    SCOPED_TRACE(t);
    ScratchDir dir;
    const std::string out = dir.path + "/r.json";
    const pid_t driver = spawn_ipcbench(
        {std::string("--transports=") + t, "--scenarios=pingpong", "--sizes=64",
         "--baselines=none", "--timeout=10", "--inject-peer-fault=kill@run:20",
         "--out=" + out},
        dir.path + "/log");
    EXPECT_EQ(wait_exit(driver), 1) << slurp(dir.path + "/log");
    const auto doc = nlohmann::json::parse(slurp(out));
    ASSERT_EQ(doc["ipcbench"]["failures"].size(), 1u);
    const std::string error = doc["ipcbench"]["failures"][0]["error"];
    EXPECT_NE(error.find("killed by signal 9"), std::string::npos) << error;
    EXPECT_TRUE(daemons_of(driver).empty());
    EXPECT_TRUE(no_run_dir_of(driver));
  }
}

TEST(DaemonLifecycle, ASigkilledDriversDaemonDiesAndCleanupRemovesTheRun) {
  if (!have_brokers()) GTEST_SKIP() << "no redis-server or nats-server";
  for (const char* t : {"redis_list", "nats_pubsub"}) {
    SCOPED_TRACE(t);
    ScratchDir dir;
    const pid_t driver = start_long_run(dir, t);
    const auto daemons = daemons_of(driver);
    ::kill(driver, SIGKILL);
    ::waitpid(driver, nullptr, 0);
    // PR_SET_PDEATHSIG: the daemon is killed with the driver.
    EXPECT_TRUE(eventually([&] { return daemons_of(driver).empty(); }));
    for (pid_t d : daemons) {
      EXPECT_TRUE(eventually([&] {
        const auto id = sys::process_identity(d);
        return !id || id->exe.empty();  // gone, or a zombie
      }));
    }
    const auto r = testing::run_ipcbench({"--cleanup"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(no_run_dir_of(driver)) << r.out;
  }
}

// ---- The manifest's "proc" lines.

pid_t gone_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

// A private directory named like a run of a driver that is dead.
struct DeadRunDir {
  std::string path;
  DeadRunDir() {
    const std::string fresh = harness::unique_prefix();
    path = "/tmp/ipcb_" + std::to_string(gone_pid()) +
           fresh.substr(fresh.rfind('_'));
    EXPECT_EQ(::mkdir(path.c_str(), 0700), 0) << path;
  }
  ~DeadRunDir() { harness::remove_private_dir(path); }
};

transports::DaemonSpec redis_in(const std::string& dir) {
  return {"redis-server",
          find_executable("redis-server"),
          {dir + "/redis.conf"},
          dir,
          "redis.conf",
          "port 0\nunixsocket " + dir + "/redis.sock\nsave \"\"\n",
          "redis.log"};
}

void append_line(const std::string& dir, const std::string& line) {
  std::ofstream(dir + "/ipc-objects", std::ios::app) << line << "\n";
  ::chmod((dir + "/ipc-objects").c_str(), 0600);
}

// A daemon recorded in a run directory whose driver is dead, still
// running (its own parent, this test, is alive): clean-up ends it.
TEST(DaemonCleanup, EndsTheRecordedDaemonOfADeadRun) {
  if (!have_brokers()) GTEST_SKIP() << "no redis-server";
  DeadRunDir run;
  Daemon d;
  d.start(redis_in(run.path));
  const pid_t pid = d.pid();
  const auto r = testing::run_ipcbench({"--cleanup"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("removed process " + std::to_string(pid)),
            std::string::npos)
      << r.out;
  EXPECT_TRUE(eventually([&] { return d.exited(); }));
  EXPECT_FALSE(std::filesystem::exists(run.path)) << r.out;
}

// Not ours: a daemon the test started outside any run, listed in a dead
// run's manifest with another start time, or with another executable.
TEST(DaemonCleanup, NeverEndsAProcessThatIsNotTheRecordedOne) {
  if (!have_brokers()) GTEST_SKIP() << "no redis-server";
  ScratchDir foreign_dir;
  Daemon foreign;
  foreign.start(redis_in(foreign_dir.path));
  const pid_t pid = foreign.pid();
  const auto id = sys::process_identity(pid);
  ASSERT_TRUE(id.has_value());
  DeadRunDir reused, other_exe;
  append_line(reused.path, "proc " + std::to_string(pid) + " " +
                               std::to_string(id->start_time + 1) + " " +
                               find_executable("redis-server"));
  append_line(other_exe.path, "proc " + std::to_string(pid) + " " +
                                  std::to_string(id->start_time) +
                                  " /usr/bin/true");
  const auto r = testing::run_ipcbench({"--cleanup"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_FALSE(foreign.exited()) << r.out;
  EXPECT_NE(r.out.find("not the recorded /usr/bin/true"), std::string::npos)
      << r.out;
  EXPECT_FALSE(std::filesystem::exists(reused.path)) << r.out;    // stale line
  EXPECT_TRUE(std::filesystem::exists(other_exe.path)) << r.out;  // refused
  foreign.stop();
}

// Foreign brokers, on their own socket and port, live through a run of
// every broker transport and a clean-up.
TEST(DaemonCleanup, ForeignBrokersSurviveRunsAndCleanup) {
  if (!have_brokers()) GTEST_SKIP() << "no redis-server or nats-server";
  ScratchDir dir;
  Daemon redis, nats;
  redis.start(redis_in(dir.path));
  nats.start({"nats-server",
              find_executable("nats-server"),
              {"-c", dir.path + "/nats.conf"},
              dir.path,
              "nats.conf",
              "host: 127.0.0.1\nport: -1\n",
              "nats.log"});
  const auto r = testing::run_ipcbench(
      {"--transports=redis_list,nats_pubsub", "--scenarios=pingpong",
       "--sizes=64", "--baselines=none", "--benchmark_min_time=0.01",
       "--out=" + dir.path + "/r.json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto c = testing::run_ipcbench({"--cleanup"});
  EXPECT_EQ(c.exit_code, 0) << c.err;
  EXPECT_FALSE(redis.exited());
  EXPECT_FALSE(nats.exited());
}

}  // namespace ipcb::daemons_test
