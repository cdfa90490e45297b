// Faults that used to hang or kill the driver: a peer killed while the
// driver is inside a library wait that no signal ends (bipc_mq), and the
// stop signals of a closed terminal (SIGHUP) and Ctrl-\ (SIGQUIT). Each run
// must end within --timeout plus a few seconds, results saved and marked,
// and leave no IPC object behind.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "test_util.hpp"

namespace ipcb {
namespace {

using namespace std::chrono_literals;
using testing::children_of;
using testing::entries_with_prefix;
using testing::exit_within;
using testing::ScratchDir;
using testing::slurp;
using testing::spawn_ipcbench;

// Waits until the driver has written its first results (the run began) and
// has `peers` peer processes.
void wait_for_peers(pid_t driver, const std::string& out, std::size_t peers) {
  for (int i = 0; i < 1500; ++i) {
    if (std::filesystem::exists(out) && children_of(driver).size() >= peers)
      return;
    std::this_thread::sleep_for(10ms);
  }
}

// A peer of the driver, once it has one: Google Benchmark starts a fresh
// peer per invocation, so there can be a moment between two with none.
pid_t some_peer(pid_t driver) {
  for (int i = 0; i < 1500; ++i) {
    auto kids = children_of(driver);
    if (!kids.empty()) return kids.front();
    std::this_thread::sleep_for(10ms);
  }
  return -1;
}

void expect_nothing_left(pid_t driver) {
  const std::string prefix = "ipcb_" + std::to_string(driver) + "_";
  EXPECT_TRUE(entries_with_prefix("/tmp", prefix).empty());
  EXPECT_TRUE(entries_with_prefix("/dev/shm", prefix).empty());
  EXPECT_TRUE(entries_with_prefix("/dev/mqueue", prefix).empty());
}

constexpr int kTimeoutS = 6;
// --timeout, the driver's 5 s last-resort grace, and room for a slow machine.
constexpr std::chrono::seconds kLimit{kTimeoutS + 5 + 20};

// Kills one peer (a producer in fan-in) of a long bipc_mq run at a random
// moment of its timed phase, several times.
void kill_peer_mid_run(const std::vector<std::string>& scenario_args,
                       std::size_t peers) {
  std::mt19937 rng(std::random_device{}());
  for (int round = 0; round < 4; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    ScratchDir dir;
    const std::string out = dir.path + "/results.json";
    std::vector<std::string> args = {"--transports=bipc_mq",
                                     "--sizes=64",
                                     "--baselines=none",
                                     "--benchmark_min_time=60",
                                     "--timeout=" + std::to_string(kTimeoutS),
                                     "--out=" + out};
    args.insert(args.end(), scenario_args.begin(), scenario_args.end());
    const std::string log = dir.path + "/log";
    pid_t driver = spawn_ipcbench(args, log);
    wait_for_peers(driver, out, peers);
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 700));
    const pid_t peer = some_peer(driver);
    if (peer <= 0) {
      exit_within(driver, 0s);  // kills it
      FAIL() << "the driver never started a peer\n" << slurp(log);
    }
    ::kill(peer, SIGKILL);
    const int code = exit_within(driver, kLimit);
    EXPECT_EQ(code, 1) << "the driver did not end in time\n" << slurp(log);
    auto doc = nlohmann::json::parse(slurp(out));
    ASSERT_EQ(doc["ipcbench"]["failures"].size(), 1u) << slurp(log);
    const std::string error = doc["ipcbench"]["failures"][0]["error"];
    // The peer's death, the driver's last resort, or (if the kill landed
    // between two invocations) the timeout of the next one.
    EXPECT_TRUE(error.find("killed by signal 9") != std::string::npos ||
                error.find("stayed stuck") != std::string::npos ||
                error.find("stopped answering") != std::string::npos)
        << error;
    expect_nothing_left(driver);
  }
}

TEST(Faults, BipcMqPingpongEndsWhenItsPeerIsKilled) {
  kill_peer_mid_run({"--scenarios=pingpong"}, 1);
}

TEST(Faults, BipcMqStreamEndsWhenItsPeerIsKilled) {
  kill_peer_mid_run({"--scenarios=stream"}, 1);
}

TEST(Faults, BipcMqFaninEndsWhenAProducerIsKilled) {
  kill_peer_mid_run({"--scenarios=fanin", "--producers=2"}, 2);
}

// A stop signal during a run: exit 128 + signal, results saved and marked
// with the signal, objects removed.
void stop_mid_run(int sig, const char* name) {
  ScratchDir dir;
  const std::string out = dir.path + "/results.json";
  pid_t driver = spawn_ipcbench({"--transports=pipe,fifo,shm_sem,posix_mq",
                                 "--sizes=64,4K", "--scenarios=pingpong,stream",
                                 "--baselines=none", "--out=" + out});
  wait_for_peers(driver, out, 1);
  std::this_thread::sleep_for(300ms);
  ::kill(driver, sig);
  EXPECT_EQ(exit_within(driver, kLimit), 128 + sig);
  auto doc = nlohmann::json::parse(slurp(out));
  EXPECT_EQ(doc["ipcbench"]["complete"], false);
  EXPECT_EQ(doc["ipcbench"]["interrupted"], name);
  expect_nothing_left(driver);
}

TEST(Interrupt, SighupOfAClosedTerminalEndsTheRunLikeSigterm) {
  stop_mid_run(SIGHUP, "SIGHUP");
}

TEST(Interrupt, SigquitEndsTheRunLikeSigterm) {
  stop_mid_run(SIGQUIT, "SIGQUIT");
}

TEST(Interrupt, AStopSignalEndsARunWhoseDriverIsStuck) {
  // A killed producer can leave the driver stuck in Boost's condition
  // variable; Ctrl-C must still end the run, within the grace period (when
  // the driver was not stuck, Ctrl-C lands in the next, long benchmark).
  for (int round = 0; round < 2; ++round) {
    ScratchDir dir;
    const std::string out = dir.path + "/results.json";
    pid_t driver = spawn_ipcbench(
        {"--transports=bipc_mq,pipe", "--sizes=64", "--scenarios=fanin",
         "--producers=2", "--baselines=none", "--benchmark_min_time=60",
         "--timeout=60", "--out=" + out});
    wait_for_peers(driver, out, 2);
    std::this_thread::sleep_for(500ms);
    const pid_t peer = some_peer(driver);
    if (peer <= 0) {
      exit_within(driver, 0s);  // kills it
      FAIL() << "the driver never started a peer";
    }
    ::kill(peer, SIGKILL);
    std::this_thread::sleep_for(200ms);
    ::kill(driver, SIGINT);
    EXPECT_EQ(exit_within(driver, std::chrono::seconds(5 + 20)), 130);
    auto doc = nlohmann::json::parse(slurp(out));
    EXPECT_EQ(doc["ipcbench"]["complete"], false);
    EXPECT_EQ(doc["ipcbench"]["interrupted"], "SIGINT");
    expect_nothing_left(driver);
  }
}

}  // namespace
}  // namespace ipcb
