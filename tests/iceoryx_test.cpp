// The iceoryx transport's RouDi: gone with its fixed names after a normal
// run, after SIGINT to the driver, after a killed peer, and after --cleanup
// of a SIGKILLed driver; a RouDi started outside ipcbench makes ipcbench
// refuse iceoryx and is left running and untouched. Fan-out with 3
// consumer processes at the transport level. These tests start RouDi, of
// which iceoryx 2.0 allows one per machine: they run in the RUN_SERIAL
// binary, and skip when a RouDi already runs here.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include "bench/framing.hpp"
#include "harness/naming.hpp"
#include "sys/process.hpp"
#include "test_util.hpp"
#include "transports/iceoryx_roudi.hpp"
#include "transports/registry.hpp"

namespace ipcb {
namespace {

using namespace std::chrono_literals;
using testing::exit_within;
using testing::ScratchDir;
using testing::slurp;
using testing::spawn_ipcbench;
namespace iox_r = transports::iceoryx;

// The start time of `pid` ("" when it is gone): pid + start time name one
// process.
std::string start_time_of(pid_t pid) {
  const auto id = sys::process_identity(pid);
  return id ? std::to_string(id->start_time) : "";
}

std::vector<pid_t> roudi_pids() {
  std::vector<pid_t> pids;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto id = sys::process_identity(std::stoi(name));
    if (id && id->exe == iox_r::kRoudiPath) pids.push_back(std::stoi(name));
  }
  return pids;
}

std::vector<std::string> fixed_names_present() {
  std::vector<std::string> left;
  for (const auto& p : iox_r::fixed_names()) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) == 0) left.push_back(p);
  }
  return left;
}

#define SKIP_IF_ROUDI_RUNS()                                                \
  do {                                                                      \
    if (auto why = iox_r::roudi_unavailable()) GTEST_SKIP() << *why;        \
    if (!roudi_pids().empty()) GTEST_SKIP() << "an iox-roudi runs already"; \
  } while (0)

void expect_roudi_gone(pid_t driver) {
  // PDEATHSIG'd or killed RouDi processes may take a moment to be reaped
  // (up to 30 s: a loaded machine).
  for (int i = 0; i < 3000 && !roudi_pids().empty(); ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(roudi_pids().empty()) << "an iox-roudi process remains";
  const auto left = fixed_names_present();
  EXPECT_TRUE(left.empty()) << left.front() << " remains";
  const std::string prefix = "ipcb_" + std::to_string(driver) + "_";
  EXPECT_TRUE(testing::entries_with_prefix("/tmp", prefix).empty());
}

// Waits until the driver's RouDi runs and the driver has a peer besides it.
bool wait_for_roudi_and_peer(pid_t driver) {
  for (int i = 0; i < 2000; ++i) {
    if (fixed_names_present().size() == iox_r::fixed_names().size() &&
        testing::children_of(driver).size() >= 2)
      return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

std::vector<std::string> long_run(const std::string& out) {
  return {"--transports=iceoryx", "--scenarios=pingpong",    "--sizes=64",
          "--baselines=none",     "--benchmark_min_time=60", "--timeout=10",
          "--out=" + out};
}

TEST(Iceoryx, NormalRunLeavesNoRoudiBehind) {
  SKIP_IF_ROUDI_RUNS();
  ScratchDir dir;
  const std::string log = dir.path + "/log";
  const pid_t driver = spawn_ipcbench(
      {"--transports=iceoryx", "--scenarios=pingpong", "--sizes=64",
       "--baselines=none", "--benchmark_min_time=0.05",
       "--out=" + dir.path + "/r.json"},
      log);
  EXPECT_EQ(exit_within(driver, 240s), 0) << slurp(log);
  expect_roudi_gone(driver);
}

// Starts a long iceoryx run and waits until its RouDi and a peer run.
pid_t start_long_run(const ScratchDir& dir) {
  const pid_t driver =
      spawn_ipcbench(long_run(dir.path + "/r.json"), dir.path + "/log");
  EXPECT_TRUE(wait_for_roudi_and_peer(driver)) << slurp(dir.path + "/log");
  return driver;
}

TEST(Iceoryx, SigintToTheDriverStopsRoudi) {
  SKIP_IF_ROUDI_RUNS();
  ScratchDir dir;
  const std::string log = dir.path + "/log";
  const pid_t driver = start_long_run(dir);
  std::this_thread::sleep_for(200ms);
  ::kill(driver, SIGINT);
  EXPECT_EQ(exit_within(driver, 60s), 128 + SIGINT) << slurp(log);
  expect_roudi_gone(driver);
}

TEST(Iceoryx, AKilledPeerFailsTheBenchmarkAndRoudiIsStoppedAtTheEnd) {
  SKIP_IF_ROUDI_RUNS();
  ScratchDir dir;
  const std::string log = dir.path + "/log";
  auto args = long_run(dir.path + "/r.json");
  args.push_back("--inject-peer-fault=kill@run:1000");
  const pid_t driver = spawn_ipcbench(args, log);
  EXPECT_EQ(exit_within(driver, 90s), 1) << slurp(log);
  EXPECT_NE(slurp(dir.path + "/r.json").find("killed by signal 9"),
            std::string::npos)
      << slurp(log);
  expect_roudi_gone(driver);
}

TEST(Iceoryx, CleanupAfterASigkilledDriverRemovesRoudisFiles) {
  SKIP_IF_ROUDI_RUNS();
  ScratchDir dir;
  const pid_t driver = start_long_run(dir);
  ::kill(driver, SIGKILL);
  ::waitpid(driver, nullptr, 0);
  // RouDi dies with the driver (PR_SET_PDEATHSIG); its files stay.
  for (int i = 0; i < 3000 && !roudi_pids().empty(); ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(fixed_names_present().empty());
  const auto r = testing::run_ipcbench({"--cleanup"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("/dev/shm/iceoryx_mgmt"), std::string::npos)
      << r.out << r.err;
  expect_roudi_gone(driver);
}

// A RouDi started outside ipcbench (with its own config): ipcbench refuses
// iceoryx with the reason, and neither a run nor --cleanup touches it.
TEST(Iceoryx, AForeignRoudiIsRefusedAndLeftRunning) {
  SKIP_IF_ROUDI_RUNS();
  ScratchDir dir;
  const std::string config = dir.path + "/roudi.toml", log = dir.path + "/log";
  {
    std::ofstream f(config);
    f << "[general]\nversion = 1\n\n[[segment]]\n\n[[segment.mempool]]\n"
         "size = 128\ncount = 16\n";
  }
  const pid_t roudi = ::fork();
  if (roudi == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execl(iox_r::kRoudiPath, "iox-roudi", "-c", config.c_str(), nullptr);
    ::_exit(127);
  }
  for (int i = 0; i < 3000 && slurp(log).find("ready") == std::string::npos;
       ++i)
    std::this_thread::sleep_for(10ms);
  ASSERT_NE(slurp(log).find("RouDi is ready"), std::string::npos) << slurp(log);
  const std::string started = start_time_of(roudi);
  const auto names = fixed_names_present();

  const auto run = testing::run_ipcbench(
      {"--transports=iceoryx", "--scenarios=pingpong", "--sizes=64",
       "--baselines=none", "--out=" + dir.path + "/r.json"});
  EXPECT_NE((run.out + run.err).find("one RouDi per machine"),
            std::string::npos)
      << run.out << run.err;
  const auto clean = testing::run_ipcbench({"--cleanup"});
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;

  EXPECT_EQ(start_time_of(roudi), started) << "RouDi was stopped";
  EXPECT_EQ(fixed_names_present(), names);
  ::kill(roudi, SIGTERM);  // RouDi's own clean shutdown removes its files
  EXPECT_EQ(exit_within(roudi, 30s), 0);
  EXPECT_TRUE(fixed_names_present().empty());
}

// Fan-out: a driver and 3 consumers, each a process of this test binary
// (every process registers with RouDi once), run through the helpers below.
constexpr int kConsumers = 3;
// Well beyond the queue depth (256 at 64 B, 4 at 1 MiB).
int messages_of(std::size_t bytes) { return bytes <= 4096 ? 3000 : 64; }

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

pid_t spawn_self(const std::string& filter,
                 const std::vector<std::string>& vars) {
  // Built before fork: the parent may have threads (RouDi's keeper, iceoryx).
  std::vector<std::string> strings = {"/proc/self/exe",
                                      "--gtest_filter=" + filter};
  std::vector<char*> argv = {strings[0].data(), strings[1].data(), nullptr};
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "IPCB_IOX_", 9) != 0) envp.push_back(*e);
  }
  for (const auto& v : vars) envp.push_back(const_cast<char*>(v.c_str()));
  envp.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

transports::Config fanout_config(std::size_t bytes, transports::Wait wait,
                                 const std::string& dir,
                                 const std::string& prefix) {
  transports::Config c{bytes, wait, dir, prefix};
  c.consumers = kConsumers;
  return c;
}

TEST(IceoryxHelper, FanoutConsumer) {
  if (std::string(env("IPCB_IOX_ROLE")) != "consumer") GTEST_SKIP();
  ::alarm(60);  // a consumer that hangs dies
  const std::size_t bytes = std::stoul(env("IPCB_IOX_BYTES"));
  auto t = transports::create_transport(
      "iceoryx",
      fanout_config(bytes, transports::parse_wait(env("IPCB_IOX_WAIT")),
                    env("IPCB_IOX_DIR"), ""));
  t->adopt(nlohmann::json::parse(env("IPCB_IOX_HANDOFF")));
  t->connect(transports::Role::kPeer);
  std::vector<std::byte> got(bytes);
  for (int i = 0; i < messages_of(bytes); ++i) {
    t->recv(got.data(), bytes);
    ASSERT_EQ(
        bench::check_pattern(got.data(), bytes, static_cast<std::uint32_t>(i)),
        -1)
        << "message " << i;
  }
}

TEST(IceoryxHelper, FanoutDriver) {
  if (std::string(env("IPCB_IOX_ROLE")) != "driver") GTEST_SKIP();
  ::alarm(100);
  for (std::size_t bytes : {std::size_t{64}, std::size_t{1} << 20}) {
    for (auto wait : {transports::Wait::kBlock, transports::Wait::kSpin}) {
      SCOPED_TRACE(std::to_string(bytes) + " B " + transports::to_string(wait));
      harness::IpcNames names;
      auto t = transports::create_transport(
          "iceoryx", fanout_config(bytes, wait, names.dir(), names.prefix()));
      t->prepare();
      std::vector<pid_t> consumers;
      for (int i = 0; i < kConsumers; ++i) {
        consumers.push_back(spawn_self(
            "IceoryxHelper.FanoutConsumer",
            {"IPCB_IOX_ROLE=consumer",
             "IPCB_IOX_BYTES=" + std::to_string(bytes),
             std::string("IPCB_IOX_WAIT=") + transports::to_string(wait),
             "IPCB_IOX_DIR=" + names.dir(),
             "IPCB_IOX_HANDOFF=" + t->handoff().dump()}));
      }
      t->connect(transports::Role::kDriver);  // all 3 subscribed
      std::vector<std::byte> msg(bytes);
      for (int i = 0; i < messages_of(bytes); ++i) {
        bench::fill_pattern(msg.data(), bytes, static_cast<std::uint32_t>(i));
        t->send(msg.data(), bytes);
      }
      for (pid_t c : consumers) {
        int st = 0;
        ::waitpid(c, &st, 0);
        EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "consumer " << c;
      }
      t->teardown();
    }
  }
}

TEST(Iceoryx, FanoutDeliversEveryMessageToEachOfThreeConsumers) {
  SKIP_IF_ROUDI_RUNS();
  const pid_t driver =
      spawn_self("IceoryxHelper.FanoutDriver", {"IPCB_IOX_ROLE=driver"});
  EXPECT_EQ(exit_within(driver, 120s), 0);
  expect_roudi_gone(driver);
}

}  // namespace
}  // namespace ipcb
