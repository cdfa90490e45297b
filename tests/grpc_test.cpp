// The gRPC transports' own promises (transports/grpc_common.hpp): a call
// without the run's token is refused with a clear error while the real
// driver is still served, the server's message-size limit is the one
// configured (and recorded), teardown removes the socket file. Both ends run
// in this process (the peer's server on a thread); the conformance test runs
// them between real processes.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "bench/framing.hpp"
#include "test_util.hpp"
#include "transports/registry.hpp"

namespace ipcb {
namespace {

using transports::Role;
using transports::Transport;

transports::Config grpc_config(const std::string& dir, std::size_t max) {
  transports::Config c;
  c.max_message_bytes = max;
  c.dir = dir;
  c.name_prefix = "/ipcbgrpctest";
  return c;
}

// The peer's side, on a thread: serves `rounds` round trips (echo), and
// keeps the error it ended with.
struct EchoPeer {
  std::unique_ptr<Transport> t;
  std::thread thread;
  std::string error;

  EchoPeer(const std::string& name, const transports::Config& c,
           const nlohmann::json& handoff, std::size_t n, int rounds) {
    t = transports::create_transport(name, c);
    t->adopt(handoff);
    t->connect(Role::kPeer);
    thread = std::thread([this, n, rounds] {
      try {
        bench::Buffer buf(n);
        for (int i = 0; i < rounds; ++i) {
          t->recv(buf.data(), n);
          t->send(buf.data(), n);
        }
      } catch (const std::exception& e) {
        error = e.what();
      }
    });
  }
  ~EchoPeer() {
    if (thread.joinable()) thread.join();
  }
};

void expect_echo(Transport& driver, std::size_t n) {
  bench::Buffer out(n), in(n);
  bench::fill_pattern(out.data(), n, 7);
  driver.send(out.data(), n);
  driver.recv(in.data(), n);
  EXPECT_EQ(bench::check_pattern(in.data(), n, 7), -1);
}

// The error a round trip of n bytes ends with ("" when it succeeds).
std::string echo_error(Transport& driver, std::size_t n) {
  try {
    expect_echo(driver, n);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(Grpc, ACallWithoutTheTokenIsRefusedAndTheDriverStillServed) {
  for (const char* name : {"grpc_unary_tcp", "grpc_stream_tcp"}) {
    SCOPED_TRACE(name);
    testing::ScratchDir dir;
    const auto cfg = grpc_config(dir.path, 64);
    auto driver = transports::create_transport(name, cfg);
    driver->prepare();
    EchoPeer peer(name, cfg, driver->handoff(), 64, 1);
    // Another local process that found the port but not the token.
    nlohmann::json forged = driver->handoff();
    forged["token"] = std::string(32, '0');
    auto intruder = transports::create_transport(name, cfg);
    intruder->adopt(forged);
    intruder->connect(Role::kDriver);
    const std::string refused = echo_error(*intruder, 64);
    EXPECT_NE(refused.find("UNAUTHENTICATED"), std::string::npos) << refused;
    EXPECT_NE(refused.find("token"), std::string::npos) << refused;
    intruder->teardown();
    driver->connect(Role::kDriver);
    expect_echo(*driver, 64);
    peer.thread.join();
    EXPECT_EQ(peer.error, "");
    driver->teardown();
  }
}

TEST(Grpc, TheServerRefusesMessagesAboveTheConfiguredSize) {
  for (const char* name : {"grpc_unary", "grpc_stream"}) {
    SCOPED_TRACE(name);
    testing::ScratchDir dir;
    auto driver =
        transports::create_transport(name, grpc_config(dir.path, 4000));
    driver->prepare();
    EchoPeer peer(name, grpc_config(dir.path, 1000), driver->handoff(), 2000,
                  1);
    driver->connect(Role::kDriver);
    const auto applied = driver->applied_settings();
    EXPECT_EQ(applied.at("grpc_max_receive_message_bytes"), 4000 + 16);
    EXPECT_EQ(applied.at("grpc_max_send_message_bytes"), 4000 + 16);
    const std::string refused = echo_error(*driver, 2000);
    EXPECT_NE(refused.find("RESOURCE_EXHAUSTED"), std::string::npos) << refused;
    peer.thread.join();
    EXPECT_NE(peer.error, "");  // the peer never got the message
    driver->teardown();
  }
}

TEST(Grpc, TeardownRemovesTheSocketFile) {
  for (const char* name : {"grpc_unary", "grpc_stream"}) {
    SCOPED_TRACE(name);
    testing::ScratchDir dir;
    const auto cfg = grpc_config(dir.path, 1 << 20);
    auto driver = transports::create_transport(name, cfg);
    driver->prepare();
    {
      EchoPeer peer(name, cfg, driver->handoff(), 1 << 20, 1);
      EXPECT_TRUE(std::filesystem::exists(dir.path + "/grpc.sock"));
      driver->connect(Role::kDriver);
      expect_echo(*driver, 1 << 20);
      peer.thread.join();
      EXPECT_EQ(peer.error, "");
    }
    driver->teardown();
    driver->teardown();  // idempotent
    EXPECT_TRUE(std::filesystem::is_empty(dir.path));
  }
}

}  // namespace
}  // namespace ipcb
