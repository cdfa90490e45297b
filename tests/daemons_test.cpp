// The broker transports' daemons (transports/daemon.hpp) and fan-out:
// a daemon that cannot start fails with its own error line; a stopped
// daemon is gone; redis_pubsub and nats_pubsub deliver to every consumer per
// the fan-out contract; nats_request is refused by the scenarios it cannot
// carry; a failing broker fails its benchmarks while the suite goes on.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <latch>
#include <thread>

#include "bench/cpu_cost.hpp"
#include "bench/report.hpp"
#include "bench/scenarios/registry.hpp"
#include "harness/naming.hpp"
#include "sys/process.hpp"
#include "test_util.hpp"
#include "transports/daemon.hpp"
#include "transports/registry.hpp"

namespace ipcb {
namespace {

using testing::ScratchDir;
using testing::slurp;
using transports::Daemon;
using transports::DaemonSpec;

bool have(const char* program) {
  return !transports::find_executable(program).empty();
}

DaemonSpec redis_spec(const std::string& dir, const std::string& config) {
  return {"redis-server",
          transports::find_executable("redis-server"),
          {dir + "/redis.conf"},
          dir,
          "redis.conf",
          config,
          "redis.log"};
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(Daemon, ARejectedConfigFailsWithTheDaemonsOwnLine) {
  if (!have("redis-server")) GTEST_SKIP() << "no redis-server";
  harness::IpcNames names;
  Daemon d;
  d.start(redis_spec(names.dir(), "port 0\nno-such-directive yes\n"));
  const std::string err = error_of([&] { d.wait_ready([] { return false; }); });
  EXPECT_EQ(err.rfind("redis-server: ", 0), 0u) << err;
  EXPECT_NE(err.find("Bad directive"), std::string::npos) << err;
  EXPECT_NE(err.find("exited with status"), std::string::npos) << err;
  EXPECT_FALSE(d.running());
}

TEST(Daemon, NatsServerConfigErrorIsItsOwnLine) {
  if (!have("nats-server")) GTEST_SKIP() << "no nats-server";
  harness::IpcNames names;
  Daemon d;
  d.start({"nats-server",
           transports::find_executable("nats-server"),
           {"-c", names.dir() + "/nats.conf"},
           names.dir(),
           "nats.conf",
           "port: \"not a number\n",
           "nats.log"});
  const std::string err = error_of([&] { d.wait_ready([] { return false; }); });
  EXPECT_EQ(err.rfind("nats-server: ", 0), 0u) << err;
  EXPECT_NE(err.find("Parse error"), std::string::npos) << err;
  EXPECT_EQ(err.find("nats-server: nats-server"), std::string::npos) << err;
}

TEST(Daemon, AMissingExecutableIsAnExecError) {
  harness::IpcNames names;
  Daemon d;
  const std::string err = error_of([&] {
    d.start({"broker",
             "/nonexistent/broker",
             {},
             names.dir(),
             "",
             "",
             "broker.log"});
  });
  EXPECT_NE(err.find("execve"), std::string::npos) << err;
  EXPECT_NE(err.find("No such file or directory"), std::string::npos) << err;
  EXPECT_FALSE(d.running());
}

TEST(Daemon, ConfigFileIsPrivateAndNeverReplaced) {
  if (!have("redis-server")) GTEST_SKIP() << "no redis-server";
  harness::IpcNames names;
  const std::string conf = names.dir() + "/redis.conf";
  { std::ofstream(conf) << "planted\n"; }
  Daemon d;
  const std::string err =
      error_of([&] { d.start(redis_spec(names.dir(), "port 0\n")); });
  EXPECT_NE(err.find("redis.conf"), std::string::npos) << err;
  EXPECT_EQ(slurp(conf), "planted\n");
  EXPECT_FALSE(d.running());
  ::unlink(conf.c_str());
  d.start(redis_spec(names.dir(), "port 0\n"));
  struct stat st {};
  ASSERT_EQ(::stat(conf.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  d.stop();
}

TEST(Daemon, StopEndsAndReapsItAndIsIdempotent) {
  if (!have("redis-server")) GTEST_SKIP() << "no redis-server";
  harness::IpcNames names;
  Daemon d;
  d.start(redis_spec(names.dir(), "port 0\n"));
  const pid_t pid = d.pid();
  ASSERT_TRUE(sys::process_identity(pid).has_value());
  EXPECT_NE(
      slurp(names.dir() + "/ipc-objects").find("proc " + std::to_string(pid)),
      std::string::npos);
  d.stop();
  d.stop();
  EXPECT_FALSE(d.running());
  EXPECT_FALSE(sys::process_identity(pid).has_value());  // reaped: gone
}

// A broker transport prepared, its daemon's CPU time is measured apart.
TEST(Daemon, TransportReportsItsDaemonAndItsCpuTime) {
  if (!have("redis-server")) GTEST_SKIP() << "no redis-server";
  harness::IpcNames names;
  transports::Config cfg{64, transports::Wait::kBlock, names.dir(),
                         names.prefix()};
  auto t = transports::create_transport("redis_list", cfg);
  t->prepare();
  ASSERT_EQ(t->daemon_pids().size(), 1u);
  const int pid = t->daemon_pids()[0];
  {
    bench::CpuMeter meter(*t);
    // Work for the daemon only: the driver pushes and pops its own list.
    t->connect(transports::Role::kPeer);  // sends on b2a, receives a2b
    auto self = transports::create_transport("redis_list", cfg);
    self->adopt(t->handoff());
    self->connect(transports::Role::kDriver);
    std::byte m[64] = {};
    for (int i = 0; i < 2000; ++i) {
      self->send(m, sizeof m);
      t->recv(m, sizeof m);
    }
    EXPECT_GT(meter.cost().daemon_ns, 0);
  }
  t->teardown();
  EXPECT_TRUE(t->daemon_pids().empty());
  EXPECT_FALSE(sys::process_identity(pid).has_value());
}

// A broker shares the loops' CPUs: their run delays may be its doing, so
// contention is not judged.
TEST(Daemon, ContentionIsNotJudgedWhenABrokerRan) {
  bench::CpuCost driver, peer;
  driver.run_delay_ns = peer.run_delay_ns = 900'000;
  driver.wall_ns = peer.wall_ns = 1'000'000;
  driver.daemon_ns = 1;
  const auto j = bench::contention_json(driver, peer, {0, 1});
  EXPECT_FALSE(j["judged"].get<bool>());
  EXPECT_FALSE(j["contended"].get<bool>());
  EXPECT_NE(j.value("not_judged", "").find("daemon"), std::string::npos) << j;
  driver.daemon_ns = 0;
  EXPECT_TRUE(bench::contention_json(driver, peer, {0, 1})["contended"]);
}

// ---- Fan-out, per the contract: prepare with consumers = 3; consumers
// adopt the handoff, connect and only receive; the driver connects and only
// sends.

constexpr int kConsumers = 3;
constexpr int kMessages = 300;
constexpr std::size_t kBytes = 4096;

void stamp(std::byte* m, std::uint32_t seq) {
  for (std::size_t i = 0; i < kBytes; ++i)
    m[i] = static_cast<std::byte>((seq * 131 + i) & 0xff);
  std::memcpy(m, &seq, sizeof seq);
}

// What one consumer saw: sequence numbers in arrival order, and whether
// every message was byte-exact.
struct Seen {
  std::vector<std::uint32_t> seqs;
  bool exact = true;
  std::string error;
  std::atomic<bool> ended{false};
};

void fanout(const std::string& name) {
  const auto* info = transports::find_transport(name);
  ASSERT_NE(info, nullptr);
  if (auto why = info->unavailable_reason()) GTEST_SKIP() << *why;
  const bool lossless = info->caps.fanout == transports::Fanout::kLossless;
  harness::IpcNames names;
  transports::Config cfg{kBytes, transports::Wait::kBlock, names.dir(),
                         names.prefix()};
  cfg.consumers = kConsumers;
  auto driver = transports::create_transport(name, cfg);
  driver->prepare();
  std::vector<Seen> seen(kConsumers);
  std::latch subscribed(kConsumers);
  std::vector<std::thread> consumers;
  for (int c = 0; c < kConsumers; ++c) {
    consumers.emplace_back([&, c] {
      Seen& s = seen[c];
      try {
        auto t = transports::create_transport(name, cfg);
        t->adopt(driver->handoff());
        t->connect(transports::Role::kPeer);
        subscribed.count_down();
        std::vector<std::byte> m(kBytes), want(kBytes);
        for (;;) {
          t->recv(m.data(), kBytes);
          std::uint32_t seq = 0;
          std::memcpy(&seq, m.data(), sizeof seq);
          if (seq == UINT32_MAX) break;  // the end marker
          stamp(want.data(), seq);
          s.exact = s.exact && m == want;
          s.seqs.push_back(seq);
        }
      } catch (const std::exception& e) {
        s.error = e.what();
        subscribed.count_down();
      }
      s.ended = true;
    });
  }
  // The harness starts the driver after every consumer's connect().
  subscribed.wait();
  driver->connect(transports::Role::kDriver);
  std::vector<std::byte> m(kBytes);
  for (std::uint32_t i = 0; i < kMessages; ++i) {
    stamp(m.data(), i);
    driver->send(m.data(), kBytes);
  }
  // The end marker: once when lossless (a consumer that has it leaves, and
  // a PUBLISH reaching fewer is an error), else until every consumer has
  // seen one.
  stamp(m.data(), UINT32_MAX);
  if (lossless) driver->send(m.data(), kBytes);
  for (int round = 0; !lossless && round < 100000; ++round) {
    bool all = true;
    for (auto& s : seen) all = all && s.ended;
    if (all) break;
    driver->send(m.data(), kBytes);
    if (!lossless) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (auto& t : consumers) t.join();
  driver->teardown();
  for (int c = 0; c < kConsumers; ++c) {
    SCOPED_TRACE("consumer " + std::to_string(c));
    const Seen& s = seen[c];
    EXPECT_EQ(s.error, "");
    EXPECT_TRUE(s.exact);
    if (lossless) {
      ASSERT_EQ(s.seqs.size(), static_cast<std::size_t>(kMessages));
      for (int i = 0; i < kMessages; ++i) EXPECT_EQ(s.seqs[i], i);
    } else {  // a subsequence, in order
      for (std::size_t i = 1; i < s.seqs.size(); ++i)
        EXPECT_LT(s.seqs[i - 1], s.seqs[i]);
      EXPECT_LE(s.seqs.size(), static_cast<std::size_t>(kMessages));
    }
  }
}

TEST(Fanout, RedisPubsubDeliversEveryMessageToEveryConsumer) {
  fanout("redis_pubsub");
}

TEST(Fanout, NatsPubsubDeliversAnInOrderSubsequenceToEveryConsumer) {
  fanout("nats_pubsub");
}

TEST(Fanout, BrokerTransportsDeclareTheirMode) {
  EXPECT_EQ(transports::find_transport("redis_pubsub")->caps.fanout,
            transports::Fanout::kLossless);
  EXPECT_EQ(transports::find_transport("nats_pubsub")->caps.fanout,
            transports::Fanout::kMayDrop);
  EXPECT_EQ(transports::find_transport("redis_list")->caps.fanout,
            transports::Fanout::kNone);
}

TEST(RequestReply, OnlyAlternatingScenariosAcceptNatsRequest) {
  const auto* t = transports::find_transport("nats_request");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(bench::scenario_named("pingpong").transport_problem(*t, 64), "");
  EXPECT_EQ(bench::scenario_named("oneway").transport_problem(*t, 64), "");
  for (const char* s : {"stream", "rate", "fanin"}) {
    const std::string why = bench::scenario_named(s).transport_problem(*t, 64);
    EXPECT_NE(why.find("nats_request"), std::string::npos) << s << ": " << why;
  }
  const std::string why =
      bench::scenario_named("stream").transport_problem(*t, 64);
  EXPECT_NE(why.find("request/reply"), std::string::npos) << why;
}

// A broker that cannot start fails its transport's benchmarks with its own
// line; the other transports of the suite still run.
TEST(Suite, ABrokerThatCannotStartFailsOnlyItsBenchmarks) {
  ScratchDir bin;
  const std::string fake = bin.path + "/redis-server";
  {
    std::ofstream f(fake);
    f << "#!/bin/sh\necho 'fake broker: refusing to start' >&2\nexit 3\n";
  }
  ::chmod(fake.c_str(), 0755);
  const std::string old_path = ::getenv("PATH") ? ::getenv("PATH") : "";
  ::setenv("PATH", (bin.path + ":" + old_path).c_str(), 1);
  const std::string out = bin.path + "/results.json";
  const auto r = testing::run_ipcbench(
      {"--transports=redis_list,unix_stream", "--scenarios=pingpong",
       "--sizes=64", "--baselines=none", "--benchmark_min_time=0.01",
       "--out=" + out});
  ::setenv("PATH", old_path.c_str(), 1);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto doc = testing::load_results(out);
  const auto& failures = doc["ipcbench"]["failures"];
  ASSERT_EQ(failures.size(), 1u) << r.err;
  const std::string error = failures[0]["error"];
  EXPECT_NE(error.find("redis-server: fake broker: refusing to start"),
            std::string::npos)
      << error;
  bool unix_stream_ran = false;
  for (const auto& rec : doc["ipcbench"]["benchmarks"])
    unix_stream_ran |= rec.value("transport", "") == "unix_stream";
  EXPECT_TRUE(unix_stream_ran) << r.err;
}

}  // namespace
}  // namespace ipcb
