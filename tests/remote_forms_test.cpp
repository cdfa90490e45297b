// The network forms (Capabilities::crosses_hosts) over 127.0.0.1 between two
// real processes: a child (this test binary, re-executed as the peer before
// its main() runs) listens on Config::listen_address, prepares and hands the
// handoff to the test over a socketpair; the test, as the driver with
// Config::remote_host, adopts it, connects and runs the conformance exchange
// (each size both ways, byte-exact) that the child serves. As the harness
// does, the exchange starts only once both sides' connect() returned (the
// child says so: the start gate), and the peer tears down only once the
// driver has every reply (for NATS the server is the peer's). Each side
// tears down its own transport; the peer's private directory is gone. A
// connection or datagram without the run's token is refused and the
// listener goes on waiting for the real driver.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <zmq.hpp>

#include "bench/scenarios/registry.hpp"
#include "harness/naming.hpp"
#include "sys/checked.hpp"
#include "sys/fd.hpp"
#include "transports/registry.hpp"

extern char** environ;

namespace ipcb {
namespace {

using transports::Config;
using transports::Role;

constexpr const char* kPeerEnv = "IPCB_REMOTE_FORMS_PEER";  // "<name> <fd>"

const std::vector<std::size_t>& remote_sizes() {
  static const std::vector<std::size_t> kSizes = {64, 4096, 65536, 1 << 20};
  return kSizes;
}

Config remote_config(const harness::IpcNames& names) {
  Config cfg;
  cfg.max_message_bytes = 1 << 20;
  cfg.dir = names.dir();
  cfg.name_prefix = names.prefix();
  return cfg;
}

bench::Job conformance_job() {
  bench::Job job;
  job.scenario = "conformance";
  job.sizes = remote_sizes();
  return job;
}

void write_line(int fd, const nlohmann::json& j) {
  const std::string line = j.dump() + "\n";
  sys::write_exact(fd, reinterpret_cast<const std::byte*>(line.data()),
                   line.size(), "remote forms control socket");
}

// The peer: listens, hands off, serves the exchange, reports its applied
// settings, tears down. Returns the exit status.
int serve_as_peer(const std::string& name, int fd) {
  try {
    harness::IpcNames names;
    Config cfg = remote_config(names);
    cfg.listen_address = "127.0.0.1";
    auto t = transports::create_transport(name, cfg);
    try {
      t->prepare();
      write_line(fd, {{"handoff", t->handoff()}, {"dir", names.dir()}});
      t->connect(Role::kPeer);
      write_line(fd, {{"connected", true}});  // the start gate
      bench::conformance_scenario().serve(*t, conformance_job(), bench::Fault{},
                                          bench::Gate{});
      write_line(fd, t->applied_settings());
      // Torn down once the driver has every reply (the nats-server is ours).
      char bye;
      sys::checked("read", "remote forms control socket",
                   [&] { return ::read(fd, &bye, 1); });
    } catch (...) {
      t->teardown();
      throw;
    }
    t->teardown();
    return 0;
  } catch (const std::exception& e) {
    try {
      write_line(fd, {{"error", e.what()}});
    } catch (const std::exception&) {
    }
    return 1;
  }
}

// Runs before main() in the re-executed child only.
[[maybe_unused]] const bool kRanAsPeer = [] {
  const char* spec = ::getenv(kPeerEnv);
  if (spec == nullptr) return false;
  const std::string s = spec;
  const auto space = s.rfind(' ');
  ::_exit(serve_as_peer(s.substr(0, space), std::stoi(s.substr(space + 1))));
}();

// The child process and the test's end of its control socket.
class PeerChild {
 public:
  explicit PeerChild(const std::string& name) {
    int sv[2];
    sys::checked("socketpair", "remote forms control socket", [&] {
      return ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
    });
    sys::Fd mine(sv[0]), theirs(sv[1]);
    // Built before fork: the child only calls async-signal-safe functions.
    std::vector<std::string> env_text;
    for (char** e = environ; *e != nullptr; ++e) env_text.emplace_back(*e);
    env_text.push_back(std::string(kPeerEnv) + "=" + name + " " +
                       std::to_string(theirs.get()));
    std::vector<char*> envp;
    for (auto& e : env_text) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string exe = "/proc/self/exe";
    char* argv[] = {exe.data(), nullptr};
    const pid_t parent = ::getpid();
    pid_ = sys::checked("fork", "remote forms peer", [] { return ::fork(); });
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      ::fcntl(theirs.get(), F_SETFD, 0);  // kept across exec
      ::execve(exe.c_str(), argv, envp.data());
      ::_exit(127);
    }
    fd_ = std::move(mine);
  }
  ~PeerChild() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }

  // The next line the child wrote; throws with its error or on its end.
  nlohmann::json next() {
    std::string line;
    for (;;) {
      char c;
      const auto r = sys::checked("read", "remote forms control socket",
                                  [&] { return ::read(fd_.get(), &c, 1); });
      if (r == 0) throw std::runtime_error("the peer child ended early");
      if (c == '\n') break;
      line += c;
    }
    auto j = nlohmann::json::parse(line);
    if (j.is_object() && j.contains("error"))
      throw std::runtime_error("peer: " + j["error"].get<std::string>());
    return j;
  }
  // The driver is done: the child may tear down.
  void bye() {
    const std::byte b{1};
    sys::write_exact(fd_.get(), &b, 1, "remote forms control socket");
  }
  int wait() {
    int st = 0;
    sys::checked("waitpid", "remote forms peer",
                 [&] { return ::waitpid(pid_, &st, 0); });
    pid_ = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }

 private:
  pid_t pid_ = -1;
  sys::Fd fd_;
};

// The network form of `name`, the test as the driver; `before_driver` runs
// with the handoff before the driver adopts it. Returns the peer's applied
// settings.
nlohmann::json run_network_form(
    const std::string& name,
    const std::function<void(const nlohmann::json&)>& before_driver = {}) {
  PeerChild child(name);
  const nlohmann::json first = child.next();
  const nlohmann::json& handoff = first.at("handoff");
  if (before_driver) before_driver(handoff);
  harness::IpcNames names;
  Config cfg = remote_config(names);
  cfg.remote_host = "127.0.0.1";
  auto t = transports::create_transport(name, cfg);
  nlohmann::json peer_settings;
  try {
    t->adopt(handoff);
    t->connect(Role::kDriver);
    child.next();  // the start gate: the peer's connect() returned too
    EXPECT_TRUE(t->daemon_pids().empty()) << "the daemon is the peer's";
    bench::drive_conformance(*t, conformance_job());
    peer_settings = child.next();
    child.bye();
  } catch (...) {
    t->teardown();
    throw;
  }
  t->teardown();
  EXPECT_EQ(child.wait(), 0) << name << ": the peer failed";
  const std::string peer_dir = first.at("dir").get<std::string>();
  EXPECT_FALSE(std::filesystem::exists(peer_dir)) << peer_dir << " left behind";
  return peer_settings;
}

std::vector<std::string> network_forms() {
  std::vector<std::string> names;
  for (const auto& t : transports::all_transports())
    if (t.caps.crosses_hosts) names.push_back(t.name);
  return names;
}

class RemoteForms : public ::testing::TestWithParam<std::string> {};

TEST_P(RemoteForms, EverySizeArrivesByteExactBothWaysBetweenProcesses) {
  const auto* info = transports::find_transport(GetParam());
  ASSERT_NE(info, nullptr);
  if (auto why = info->unavailable_reason()) GTEST_SKIP() << *why;
  EXPECT_NO_THROW(run_network_form(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(NetworkForms, RemoteForms,
                         ::testing::ValuesIn(network_forms()),
                         [](const auto& info) { return info.param; });

TEST(RemoteFormsRegistry, ExactlyTheTcpBasedTransportsCrossHosts) {
  std::vector<std::string> want = {"tcp",
                                   "udp",
                                   "zmq_tcp",
                                   "grpc_unary_tcp",
                                   "grpc_stream_tcp",
                                   "nats_pubsub",
                                   "nats_request"};
  auto got = network_forms();
  std::sort(want.begin(), want.end());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want);
}

sockaddr_in loopback_port(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

TEST(RemoteFormsAuth, TcpRefusesAConnectionWithoutTheToken) {
  const auto settings = run_network_form("tcp", [](const nlohmann::json& h) {
    sys::Fd s(sys::checked("socket", "intruder", [] {
      return ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    }));
    const sockaddr_in a = loopback_port(h.at("port").get<int>());
    sys::checked("connect", "intruder", [&] {
      return ::connect(s.get(), reinterpret_cast<const sockaddr*>(&a),
                       sizeof a);
    });
    const std::array<std::byte, 16> wrong{};
    sys::write_exact(s.get(), wrong.data(), wrong.size(), "intruder");
    // The listener closes it once it read the wrong token.
    char c;
    const auto r = sys::checked("read", "intruder",
                                [&] { return ::read(s.get(), &c, 1); });
    EXPECT_EQ(r, 0);
  });
  EXPECT_EQ(settings.at("rejected_connections").get<int>(), 1);
}

TEST(RemoteFormsAuth, UdpIgnoresDatagramsWithoutTheToken) {
  const auto settings = run_network_form("udp", [](const nlohmann::json& h) {
    sys::Fd s(sys::checked("socket", "intruder", [] {
      return ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    }));
    const sockaddr_in a = loopback_port(h.at("port").get<int>());
    // A handshake with a wrong token, and a stray data-sized datagram:
    // queued on loopback before the driver's handshake is sent.
    std::array<unsigned char, 24> hello{};
    const std::uint32_t kind = 0x48454c4f;  // "HELO"
    std::memcpy(hello.data(), &kind, sizeof kind);
    std::array<unsigned char, 100> stray{};
    for (auto* d : {static_cast<const void*>(hello.data()),
                    static_cast<const void*>(stray.data())}) {
      const std::size_t n = d == hello.data() ? hello.size() : stray.size();
      sys::checked("sendto", "intruder", [&] {
        return ::sendto(s.get(), d, n, 0, reinterpret_cast<const sockaddr*>(&a),
                        sizeof a);
      });
    }
  });
  EXPECT_EQ(settings.at("rejected_datagrams").get<int>(), 2);
}

TEST(RemoteFormsAuth, ZmqTcpRefusesAConnectionWithoutTheToken) {
  const auto settings =
      run_network_form("zmq_tcp", [](const nlohmann::json& h) {
        zmq::context_t ctx;
        zmq::socket_t s(ctx, zmq::socket_type::pair);
        s.set(zmq::sockopt::linger, 0);
        s.set(zmq::sockopt::plain_username, "ipcb");
        s.set(zmq::sockopt::plain_password, "not-the-token");
        ASSERT_EQ(
            zmq_socket_monitor(s.handle(), "inproc://remote-forms-monitor",
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH),
            0);
        zmq::socket_t monitor(ctx, zmq::socket_type::pair);
        monitor.set(zmq::sockopt::rcvtimeo, 60000);  // a bound, not a measure
        monitor.connect("inproc://remote-forms-monitor");
        s.connect("tcp://127.0.0.1:" + std::to_string(h.at("port").get<int>()));
        zmq::message_t event;
        ASSERT_TRUE(monitor.recv(event, zmq::recv_flags::none))
            << "the intruder's handshake was never refused";
        std::uint16_t id = 0;
        std::memcpy(&id, event.data(), sizeof id);
        EXPECT_EQ(id, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
        s.close();
      });
  EXPECT_GE(settings.at("rejected_connections").get<int>(), 1);
}

TEST(RemoteFormsAuth, ZmqTcpOffersNoFanoutOrFaninAcrossHosts) {
  Config cfg;
  cfg.listen_address = "127.0.0.1";
  cfg.consumers = 2;
  try {
    transports::create_transport("zmq_tcp", cfg);
    ADD_FAILURE() << "fan-out across hosts was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "fan-out across hosts is not offered by zmq_tcp"),
              std::string::npos)
        << e.what();
  }
  cfg.consumers = 0;
  cfg.producers = 2;
  EXPECT_THROW(transports::create_transport("zmq_tcp", cfg),
               std::invalid_argument);
}

}  // namespace
}  // namespace ipcb
