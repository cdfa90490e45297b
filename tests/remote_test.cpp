// Two-host runs on one machine: the server (--serve) and the driver
// (--remote) over 127.0.0.1, plus the pure parts (clock offset, token
// proofs, addresses) on known inputs. Between network namespaces, with
// delay and loss: netlab_remote_test.cpp.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>

#include "harness/clock_sync.hpp"
#include "harness/net_control.hpp"
#include "harness/remote_auth.hpp"
#include "test_util.hpp"

namespace ipcb {
namespace {

using namespace std::chrono_literals;
using harness::ClockSample;
using testing::children_of;
using testing::count_lines;
using testing::exit_within;
using testing::run_ipcbench;
using testing::ScratchDir;
using testing::slurp;
using testing::spawn_ipcbench;

const std::string kToken = "test-token-0123456789abcdef";

TEST(ClockSync, OffsetAndDelayOfOneExchangeAreExact) {
  // Server clock 1000 ns ahead; 60 ns out, 40 ns back, 50 ns to answer.
  const ClockSample s{100, 1160, 1210, 250};
  const harness::ClockEstimate e = harness::estimate_clock({s});
  EXPECT_EQ(e.delay_ns, 100);    // 150 on the wire, less the 50 ns answer
  EXPECT_EQ(e.offset_ns, 1010);  // the 20 ns asymmetry shows as half
  EXPECT_EQ(e.uncertainty_ns, 50);
  EXPECT_LE(std::llabs(e.offset_ns - 1000), e.uncertainty_ns);
}

TEST(ClockSync, TheSmallestDelayExchangeIsKept) {
  const harness::ClockEstimate e = harness::estimate_clock(
      {{0, 5000, 5000, 9000}, {10000, 11030, 11040, 10080}, {0, 0, 0, 500}});
  EXPECT_EQ(e.delay_ns, 70);
  EXPECT_EQ(e.offset_ns, 995);
  EXPECT_EQ(e.uncertainty_ns, 35);
  EXPECT_EQ(e.samples, 3);
}

TEST(ClockSync, NegativeOffsetsRoundTheSameWay) {
  const harness::ClockEstimate e =
      harness::estimate_clock({{1000, 11, 12, 1003}});
  EXPECT_EQ(e.offset_ns, -990);
  EXPECT_EQ(e.delay_ns, 2);
}

TEST(ClockSync, AWindowAveragesAndWidensByTheDrift) {
  harness::ClockWindow w;
  w.before = {1000, 100, 50, 8};
  w.after = {1400, 60, 30, 8};
  EXPECT_EQ(w.offset_ns(), 1200);
  EXPECT_EQ(w.uncertainty_ns(), 50 + 200);
  const auto j = w.to_json();
  EXPECT_EQ(j["offset_ns"], 1200);
  EXPECT_EQ(j["before"]["delay_ns"], 100);
}

TEST(ClockSync, ExchangesThatEndBeforeTheyStartAreRefused) {
  EXPECT_THROW(harness::estimate_clock({}), std::invalid_argument);
  EXPECT_THROW(harness::estimate_clock({{10, 0, 0, 5}}), std::invalid_argument);
  EXPECT_THROW(harness::estimate_clock({{0, 10, 5, 20}}),
               std::invalid_argument);
}

TEST(RemoteAuth, ProofsMatchOnlyForTheSameTokenAndNonces) {
  const std::string p = harness::driver_proof(kToken, "sn", "dn");
  EXPECT_EQ(p.size(), 64u);  // SHA-256, hex
  EXPECT_TRUE(
      harness::proofs_match(p, harness::driver_proof(kToken, "sn", "dn")));
  EXPECT_FALSE(harness::proofs_match(
      p, harness::driver_proof(kToken + "x", "sn", "dn")));
  EXPECT_FALSE(
      harness::proofs_match(p, harness::driver_proof(kToken, "sn", "dX")));
  // The server's proof is not the driver's, whatever the nonces.
  EXPECT_FALSE(
      harness::proofs_match(p, harness::server_proof(kToken, "sn", "dn")));
  EXPECT_FALSE(harness::proofs_match(p, p.substr(0, 63)));
  EXPECT_FALSE(harness::proofs_match(p, ""));
  EXPECT_NE(harness::random_hex(16), harness::random_hex(16));
}

TEST(RemoteAuth, TheTokenComesFromTheFlagElseTheEnvironment) {
  ::setenv("IPCBENCH_TOKEN", "from-the-environment-1234", 1);
  EXPECT_EQ(harness::choose_token(std::nullopt), "from-the-environment-1234");
  EXPECT_EQ(harness::choose_token(kToken), kToken);
  ::unsetenv("IPCBENCH_TOKEN");
  try {
    harness::choose_token(std::nullopt);
    ADD_FAILURE() << "no token accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("IPCBENCH_TOKEN"), std::string::npos);
  }
  try {
    harness::choose_token(std::string("short"));
    ADD_FAILURE() << "a 5-character token accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("at least 16"), std::string::npos);
  }
}

TEST(HostPort, ParsedWithTheirFlagNamedOnError) {
  auto hp = harness::parse_host_port("10.0.0.2:7300", "--remote", false);
  EXPECT_EQ(hp.host, "10.0.0.2");
  EXPECT_EQ(hp.port, 7300);
  hp = harness::parse_host_port("[::1]:9", "--remote", false);
  EXPECT_EQ(hp.host, "::1");
  EXPECT_EQ(hp.text(), "[::1]:9");
  hp = harness::parse_host_port(":0", "--serve", true);
  EXPECT_EQ(hp.host, "");
  EXPECT_EQ(hp.port, 0);
  for (const char* bad : {"host", "host:", "host:99999", "::1:80", "h:0"}) {
    try {
      harness::parse_host_port(bad, "--remote", false);
      ADD_FAILURE() << bad << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("--remote"), std::string::npos);
    }
  }
}

TEST(RemoteCli, FlagsThatDoNotGoTogetherAreRefused) {
  struct Case {
    std::vector<std::string> args;
    const char* says;
  } cases[] = {
      {{"--serve", "--remote=h:1"}, "--serve and --remote"},
      {{"--remote-cpus=1"}, "--remote-cpus"},
      {{"--token=" + kToken}, "--token"},
      {{"--serve=127.0.0.1:0", "--transports=tcp"}, "--serve takes no"},
      {{"--remote=:7300"}, "name the server's host"},
      {{"--remote=h:1", "--cpus=0,1"}, "driver's own CPU"},
  };
  for (const auto& c : cases) {
    auto r = run_ipcbench(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args[0];
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
  }
}

TEST(RemoteCli, TheServerRefusesToStartWithoutAToken) {
  ::unsetenv("IPCBENCH_TOKEN");
  auto r = run_ipcbench({"--serve=127.0.0.1:0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no token"), std::string::npos) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  r = run_ipcbench({"--serve=127.0.0.1:0", "--token=short"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("at least 16"), std::string::npos) << r.err;
}

// An `ipcbench --serve` on 127.0.0.1, on a port its kernel picks; stopped
// (SIGTERM) at the end, after checking it is still up.
class Server {
 public:
  explicit Server(const std::string& token = kToken) {
    log_ = dir_.path + "/serve.log";
    pid_ = spawn_ipcbench({"--serve=127.0.0.1:0", "--token=" + token}, log_);
    const std::regex listening("listening on 127\\.0\\.0\\.1:([0-9]+)");
    // 30 s: a sanitizer build captures the environment and calibrates the
    // TSC before it listens.
    for (int i = 0; i < 3000 && port_ == 0; ++i) {
      std::smatch m;
      const std::string text = slurp(log_);
      if (std::regex_search(text, m, listening)) port_ = std::stoi(m[1]);
      std::this_thread::sleep_for(10ms);
    }
  }
  ~Server() {
    ::kill(pid_, SIGTERM);
    exit_within(pid_, 20s);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return slurp(log_); }
  pid_t pid() const { return pid_; }
  bool alive() const { return ::waitpid(pid_, nullptr, WNOHANG) == 0; }
  // Waits until a peer runs on the server (at most ~30 s).
  bool wait_peer() const { return testing::wait_for_child(pid_); }
  // Waits until the log holds `text` (at most ~30 s).
  bool wait_log(const std::string& text) const {
    for (int i = 0; i < 3000; ++i) {
      if (log().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

 private:
  ScratchDir dir_;
  std::string log_;
  pid_t pid_ = -1;
  int port_ = 0;
};

std::vector<std::string> driver_args(const Server& s, const ScratchDir& dir,
                                     std::vector<std::string> more) {
  std::vector<std::string> args = {"--remote=" + s.address(),
                                   "--token=" + kToken, "--baselines=none",
                                   "--out=" + dir.path + "/results.json"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST(RemoteCli, ALoopbackRunRecordsTheServerTheClockAndBothEnvironments) {
  Server server;
  ASSERT_TRUE(server.alive()) << server.log();
  ScratchDir dir;
  auto r = run_ipcbench(driver_args(
      server, dir,
      {"--transports=tcp,pipe", "--scenarios=pingpong,stream,oneway",
       "--sizes=64,4K", "--benchmark_min_time=0.05", "--timeout=30"}));
  ASSERT_EQ(r.exit_code, 0) << r.err << server.log();
  const auto doc = testing::load_results(dir.path + "/results.json");
  const auto& block = doc["ipcbench"];
  EXPECT_EQ(block["remote"]["server"], server.address());
  EXPECT_TRUE(block["remote"]["environment"].contains("kernel"))
      << block["remote"].dump();
  int ran = 0;
  for (const auto& rec : block["benchmarks"]) {
    if (rec.value("transport", "") != "tcp") continue;
    ++ran;
    ASSERT_FALSE(rec.contains("error")) << rec["error"];
    EXPECT_EQ(rec["remote"]["server"], server.address());
    const auto& clock = rec["remote"]["clock"];
    EXPECT_GE(clock["uncertainty_ns"].get<std::int64_t>(), 0);
    EXPECT_EQ(clock["before"]["exchanges"], 8);
    EXPECT_EQ(rec["placement"]["across_hosts"], true);
    EXPECT_EQ(rec["placement"]["peer_cpu"], -1);
    if (rec["scenario"] == "oneway") {
      // One clock here: the offset is within its uncertainty of zero.
      EXPECT_LE(std::llabs(clock["offset_ns"].get<std::int64_t>()),
                clock["uncertainty_ns"].get<std::int64_t>());
      const auto& ow = rec["oneway"];
      EXPECT_TRUE(ow.contains("driver_to_peer") != ow.contains("not_reported"))
          << ow.dump();
    }
  }
  EXPECT_EQ(ran, 6);
  // pipe has no network form: skipped, with the reason.
  bool pipe_skipped = false;
  for (const auto& rec : block["skipped"])
    if (rec["name"].get<std::string>().find("/pipe/") != std::string::npos)
      pipe_skipped = rec["reason"].get<std::string>().find("network form") !=
                     std::string::npos;
  EXPECT_TRUE(pipe_skipped) << block["skipped"].dump();
  EXPECT_TRUE(server.alive());
  // Each benchmark's peer ran on the server and is gone.
  EXPECT_TRUE(children_of(server.pid()).empty());
}

TEST(RemoteCli, AWrongTokenIsRefusedAndTheServerStaysUp) {
  Server server;
  ScratchDir dir;
  auto r = run_ipcbench({"--remote=" + server.address(),
                         "--token=another-token-0123456789", "--sizes=64",
                         "--out=" + dir.path + "/results.json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("wrong token"), std::string::npos) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path + "/results.json"));
  EXPECT_TRUE(server.wait_log("refused 127.0.0.1: wrong token"));
  // No token on the driver's side: refused before it connects.
  ::unsetenv("IPCBENCH_TOKEN");
  r = run_ipcbench({"--remote=" + server.address(), "--sizes=64"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no token"), std::string::npos) << r.err;
  // The server still serves the right driver.
  ASSERT_TRUE(server.alive());
  r = run_ipcbench(driver_args(server, dir,
                               {"--transports=tcp", "--scenarios=pingpong",
                                "--sizes=64", "--benchmark_min_time=0.05"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(RemoteCli, ASecondDriverIsRefusedWhileOneIsServed) {
  Server server;
  ScratchDir first_dir, second_dir;
  const pid_t first =
      spawn_ipcbench(driver_args(server, first_dir,
                                 {"--transports=tcp", "--scenarios=pingpong",
                                  "--sizes=64", "--benchmark_min_time=4"}),
                     first_dir.path + "/log");
  // The first driver's run lasts several seconds, so the second one (a
  // slow start on a loaded machine included) arrives while it is served.
  ASSERT_TRUE(server.wait_log("serving the driver")) << server.log();
  auto r = run_ipcbench(
      driver_args(server, second_dir, {"--transports=tcp", "--sizes=64"}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("busy: serving the driver at 127.0.0.1"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(exit_within(first, 120s), 0) << slurp(first_dir.path + "/log");
  EXPECT_TRUE(server.alive());
}

TEST(RemoteCli, ADriverKilledMidBenchmarkLeavesTheServerServing) {
  Server server;
  ScratchDir dir;
  const pid_t driver =
      spawn_ipcbench(driver_args(server, dir,
                                 {"--transports=tcp", "--scenarios=stream",
                                  "--sizes=64", "--benchmark_min_time=30"}),
                     dir.path + "/log");
  // Its peer runs on the server.
  ASSERT_TRUE(server.wait_peer()) << server.log();
  std::this_thread::sleep_for(300ms);
  ::kill(driver, SIGKILL);
  exit_within(driver, 10s);
  // The server ends the orphaned peer and goes back to waiting.
  ASSERT_TRUE(server.wait_log("the driver at 127.0.0.1 left")) << server.log();
  EXPECT_TRUE(children_of(server.pid()).empty()) << server.log();
  ASSERT_TRUE(server.alive());
  ScratchDir next;
  auto r =
      run_ipcbench(driver_args(server, next,
                               {"--transports=tcp", "--scenarios=pingpong",
                                "--sizes=64", "--benchmark_min_time=0.05"}));
  EXPECT_EQ(r.exit_code, 0) << r.err << server.log();
}

TEST(RemoteCli, APeerThatDiesOnTheServerFailsItsBenchmarkAndTheRunGoesOn) {
  Server server;
  ScratchDir dir;
  auto r = run_ipcbench(
      driver_args(server, dir,
                  {"--transports=tcp", "--scenarios=pingpong", "--sizes=64,128",
                   "--inject-peer-fault=kill@run:200", "--timeout=20"}));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto doc = nlohmann::json::parse(slurp(dir.path + "/results.json"));
  const auto& failures = doc["ipcbench"]["failures"];
  ASSERT_EQ(failures.size(), 2u) << r.err;  // both sizes ran, both failed
  for (const auto& f : failures) {
    const std::string error = f["error"];
    EXPECT_NE(error.find("peer on 127.0.0.1"), std::string::npos) << error;
    EXPECT_NE(error.find("killed by signal 9"), std::string::npos) << error;
  }
  EXPECT_TRUE(server.alive());
  EXPECT_TRUE(children_of(server.pid()).empty());
}

TEST(RemoteCli, AServerThatGoesAwayFailsTheBenchmarkWithTheCause) {
  ScratchDir dir;
  pid_t driver = -1;
  {
    Server server;
    driver = spawn_ipcbench(
        driver_args(server, dir,
                    {"--transports=tcp", "--scenarios=stream", "--sizes=64,128",
                     "--benchmark_min_time=30", "--timeout=10"}),
        dir.path + "/log");
    ASSERT_TRUE(server.wait_peer()) << server.log();
    ::kill(server.pid(), SIGKILL);  // its peers die with it (PDEATHSIG)
  }
  EXPECT_EQ(exit_within(driver, 60s), 1) << slurp(dir.path + "/log");
  const auto doc = nlohmann::json::parse(slurp(dir.path + "/results.json"));
  const auto& failures = doc["ipcbench"]["failures"];
  ASSERT_EQ(failures.size(), 2u) << slurp(dir.path + "/log");
  EXPECT_NE(failures[1]["error"].get<std::string>().find(
                "cannot reach the ipcbench server"),
            std::string::npos)
      << failures.dump();
}

}  // namespace
}  // namespace ipcb
