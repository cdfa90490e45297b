// Every registered transport moves 1 B .. 1 MiB byte-exact, in order, both
// ways, between two real processes (the ipcbench binary in peer mode), and
// leaves nothing behind.
#include <gtest/gtest.h>
#include <unistd.h>

#include "bench/framing.hpp"
#include "bench/scenarios/registry.hpp"
#include "bench/thread_peer.hpp"
#include "harness/naming.hpp"
#include "harness/pair.hpp"
#include "peer_exchange.hpp"
#include "test_util.hpp"
#include "transports/iceoryx_roudi.hpp"
#include "transports/registry.hpp"

namespace ipcb {
namespace {

std::vector<std::string> transport_names() {
  std::vector<std::string> names;
  for (const auto& t : transports::all_transports()) names.push_back(t.name);
  return names;
}

class Conformance : public ::testing::TestWithParam<std::string> {};

void run_conformance(const std::string& name, transports::Wait wait) {
  const std::vector<std::size_t> sizes = {1, 4095, 4097, 65536, 1 << 20};
  const auto* info = transports::find_transport(name);
  std::string dir;
  {
    harness::IpcNames names;
    dir = names.dir();
    transports::Config cfg{1 << 20, wait, names.dir(), names.prefix()};
    auto t = transports::create_transport(name, cfg);
    bench::Job job;
    job.scenario = "conformance";
    job.sizes = sizes;
    if (info->caps.in_process) {  // the peer is a thread of this process
      t->prepare();
      bench::ThreadPeer peer(name, cfg, t->handoff(), job, -1,
                             std::chrono::milliseconds(60000));
      t->connect(transports::Role::kDriver);
      peer.start_gate();
      bench::drive_conformance(*t, job);
      peer.finish();
      t->teardown();
    } else {
      testing::exchange_with_peer(name, cfg, *t, sizes);
    }
  }
  EXPECT_FALSE(std::filesystem::exists(dir)) << dir << " left behind";
}

TEST_P(Conformance, EverySizeArrivesByteExactBothWays) {
  const auto* info = transports::find_transport(GetParam());
  ASSERT_NE(info, nullptr);
  if (auto why = info->unavailable_reason()) GTEST_SKIP() << *why;
  for (auto wait : info->caps.waits) {
    SCOPED_TRACE(transports::to_string(wait));
    run_conformance(GetParam(), wait);
  }
}

INSTANTIATE_TEST_SUITE_P(AllTransports, Conformance,
                         ::testing::ValuesIn(transport_names()),
                         [](const auto& info) { return info.param; });

TEST(Registry, ListsTheFoundationTransports) {
  auto names = transport_names();
  for (std::string want : {"pipe", "fifo", "unix_stream", "tcp"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  }
  EXPECT_THROW(transports::create_transport("nope", {}), std::invalid_argument);
}

TEST(Registry, EveryTransportStatesItsLimits) {
  for (const auto& t : transports::all_transports()) {
    EXPECT_FALSE(t.description.empty()) << t.name;
    EXPECT_FALSE(t.caps.limits.empty()) << t.name;
    EXPECT_FALSE(t.caps.waits.empty()) << t.name;
  }
}

TEST(Payload, PatternDetectsAnyChangedByte) {
  std::vector<std::byte> b(4097);
  bench::fill_pattern(b.data(), b.size(), 7);
  EXPECT_EQ(bench::check_pattern(b.data(), b.size(), 7), -1);
  EXPECT_NE(bench::check_pattern(b.data(), b.size(), 8), -1);
  b[4096] ^= std::byte{1};
  EXPECT_EQ(bench::check_pattern(b.data(), b.size(), 7), 4096);
}

// Runs last in this binary (gtest runs suites in order of definition).
TEST(ZZCleanup, NoPrivateDirectoryOfThisProcessRemains) {
  transports::iceoryx::stop_roudi();  // as at exit: its run directory goes
  auto left = testing::entries_with_prefix(
      "/tmp", "ipcb_" + std::to_string(::getpid()) + "_");
  EXPECT_TRUE(left.empty()) << left.front();
}

}  // namespace
}  // namespace ipcb
