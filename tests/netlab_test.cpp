// The two-host lab (tests/netlab/): bytes cross the delay line intact both
// ways over TCP and UDP, loss mode stops delivery and turning it off brings
// it back, processes run in the namespace asked for, and nothing (namespace,
// veth, process) is left once a lab goes, whatever way its scope ends.
// No duration is asserted: the round-trip times are printed for reading.
#include "netlab/netlab.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sys/checked.hpp"
#include "sys/fd.hpp"
#include "sys/process.hpp"

namespace {

using ipcb::netlab::NetLab;
using ipcb::netlab::NetLabTest;
using ipcb::netlab::Ns;
using ipcb::sys::checked;
using ipcb::sys::Fd;

sockaddr_in address(const std::string& ip, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (::inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1)
    throw std::invalid_argument("bad address " + ip);
  return a;
}

// Blocking calls on `fd` fail (EAGAIN) after `seconds` instead of hanging
// when the line loses what they wait for.
void set_timeouts(int fd, int seconds) {
  timeval tv{seconds, 0};
  checked("setsockopt(SO_RCVTIMEO)", "test socket", [&] {
    return ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  });
  checked("setsockopt(SO_SNDTIMEO)", "test socket", [&] {
    return ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  });
}

// A socket of `type` in the server's namespace, bound to the server's
// address and a free port; *bound: that address and port.
Fd bound_on_server(NetLab& lab, int type, sockaddr_in* bound) {
  Fd s = lab.socket_in(Ns::server, AF_INET, type);
  *bound = address(lab.server_addr(), 0);
  checked("bind", "server socket", [&] {
    return ::bind(s.get(), reinterpret_cast<sockaddr*>(bound), sizeof *bound);
  });
  socklen_t len = sizeof *bound;
  checked("getsockname", "server socket", [&] {
    return ::getsockname(s.get(), reinterpret_cast<sockaddr*>(bound), &len);
  });
  return s;
}

// A listening TCP socket on the server's address; its port.
Fd listener(NetLab& lab, std::uint16_t* port) {
  sockaddr_in a{};
  Fd s = bound_on_server(lab, SOCK_STREAM, &a);
  checked("listen", "listener", [&] { return ::listen(s.get(), 8); });
  *port = ntohs(a.sin_port);
  set_timeouts(s.get(), 30);
  return s;
}

// A UDP socket on the server's address and one in the driver's namespace
// connected to it.
struct UdpPair {
  Fd server;
  Fd driver;
};

UdpPair udp_pair(NetLab& lab) {
  sockaddr_in sa{};
  UdpPair p{bound_on_server(lab, SOCK_DGRAM, &sa),
            lab.socket_in(Ns::driver, AF_INET, SOCK_DGRAM)};
  set_timeouts(p.server.get(), 10);
  set_timeouts(p.driver.get(), 10);
  checked("connect", "udp driver", [&] {
    return ::connect(p.driver.get(), reinterpret_cast<sockaddr*>(&sa),
                     sizeof sa);
  });
  return p;
}

Fd connect_from_driver(NetLab& lab, std::uint16_t port) {
  Fd c = lab.socket_in(Ns::driver, AF_INET, SOCK_STREAM);
  set_timeouts(c.get(), 30);
  sockaddr_in a = address(lab.server_addr(), port);
  checked("connect", "driver -> server", [&] {
    return ::connect(c.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
  });
  const int one = 1;
  ::setsockopt(c.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return c;
}

Fd accept_one(int listen_fd) {
  Fd s(checked("accept", "listener", [&] {
    return ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  }));
  set_timeouts(s.get(), 30);
  const int one = 1;
  ::setsockopt(s.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return s;
}

std::vector<std::byte> random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<std::byte> v(n);
  for (auto& b : v) b = static_cast<std::byte>(gen());
  return v;
}

std::uint64_t fnv1a(const std::vector<std::byte>& v) {
  std::uint64_t h = 1469598103934665603ull;
  for (std::byte b : v) {
    h ^= static_cast<std::uint64_t>(b);
    h *= 1099511628211ull;
  }
  return h;
}

// Does fd become readable (or, with `out`, writable) within ms?
bool ready_within(int fd, short events, int ms) {
  pollfd p{fd, events, 0};
  return checked("poll", "test socket", [&] { return ::poll(&p, 1, ms); }) == 1;
}

// The frames forwarded driver->server and server->driver so far.
std::pair<long, long> forwarded(NetLab& lab) {
  const std::string s = lab.stats();
  long ab = -1, ba = -1;
  std::sscanf(s.c_str(), "ab=%ld ba=%ld", &ab, &ba);
  return {ab, ba};
}

TEST_F(NetLabTest, TcpMovesOneMiBIntactBothWays) {
  lab->set_delay(200, 300);
  std::uint16_t port = 0;
  Fd l = listener(*lab, &port);
  const auto up = random_bytes(1 << 20, 1);
  const auto down = random_bytes(1 << 20, 2);
  std::uint64_t server_sum = 0;
  std::string server_error;
  std::thread server([&] {
    try {
      Fd s = accept_one(l.get());
      std::vector<std::byte> got(up.size());
      ipcb::sys::read_exact(s.get(), got.data(), got.size(), "server");
      server_sum = fnv1a(got);
      ipcb::sys::write_exact(s.get(), down.data(), down.size(), "server");
    } catch (const std::exception& e) {
      server_error = e.what();
    }
  });
  std::vector<std::byte> got(down.size());
  try {
    Fd c = connect_from_driver(*lab, port);
    ipcb::sys::write_exact(c.get(), up.data(), up.size(), "driver");
    ipcb::sys::read_exact(c.get(), got.data(), got.size(), "driver");
  } catch (const std::exception& e) {
    ADD_FAILURE() << "driver: " << e.what();
  }
  server.join();
  EXPECT_EQ(server_error, "");
  EXPECT_EQ(server_sum, fnv1a(up)) << "driver->server bytes damaged";
  EXPECT_TRUE(got == down) << "server->driver bytes damaged";
  const auto [ab, ba] = forwarded(*lab);
  EXPECT_GT(ab, 0) << "nothing crossed the delay line driver->server";
  EXPECT_GT(ba, 0) << "nothing crossed the delay line server->driver";
}

TEST_F(NetLabTest, UdpDatagramsCrossIntactBothWays) {
  lab->set_delay(100, 50);
  const UdpPair udp = udp_pair(*lab);
  const int srv = udp.server.get();
  const int drv = udp.driver.get();
  // Up to one frame, and sizes the IP layer fragments (the line forwards
  // each fragment).
  const std::size_t sizes[] = {1, 100, 1472, 1473, 8000, 60000};
  std::uint32_t seed = 10;
  for (std::size_t size : sizes) {
    const auto up = random_bytes(size, ++seed);
    const auto down = random_bytes(size, ++seed);
    checked("send", "udp driver",
            [&] { return ::send(drv, up.data(), up.size(), 0); });
    std::vector<std::byte> got(65536);
    sockaddr_in from{};
    socklen_t from_len = sizeof from;
    const ssize_t n = checked("recvfrom", "udp server", [&] {
      return ::recvfrom(srv, got.data(), got.size(), 0,
                        reinterpret_cast<sockaddr*>(&from), &from_len);
    });
    got.resize(static_cast<std::size_t>(n));
    EXPECT_TRUE(got == up) << size << " B driver->server damaged";
    char from_ip[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &from.sin_addr, from_ip, sizeof from_ip);
    EXPECT_EQ(std::string(from_ip), lab->driver_addr());
    checked("sendto", "udp server", [&] {
      return ::sendto(srv, down.data(), down.size(), 0,
                      reinterpret_cast<sockaddr*>(&from), from_len);
    });
    std::vector<std::byte> back(65536);
    const ssize_t m = checked("recv", "udp driver", [&] {
      return ::recv(drv, back.data(), back.size(), 0);
    });
    back.resize(static_cast<std::size_t>(m));
    EXPECT_TRUE(back == down) << size << " B server->driver damaged";
  }
}

TEST_F(NetLabTest, LossModeStopsDeliveryUntilTurnedOff) {
  const UdpPair udp = udp_pair(*lab);
  const int srv = udp.server.get();
  const int drv = udp.driver.get();
  auto send_byte = [&](char c) {
    checked("send", "udp driver", [&] { return ::send(drv, &c, 1, 0); });
  };
  auto receive_byte = [&] {
    char c = 0;
    checked("recv", "udp server", [&] { return ::recv(srv, &c, 1, 0); });
    return c;
  };
  // Delivered first (so that ARP is settled before the loss).
  send_byte('a');
  ASSERT_TRUE(ready_within(srv, POLLIN, 10000));
  EXPECT_EQ(receive_byte(), 'a');
  std::uint16_t port = 0;
  Fd l = listener(*lab, &port);

  lab->set_loss(true);
  send_byte('b');
  EXPECT_FALSE(ready_within(srv, POLLIN, 1000))
      << "a datagram crossed in loss mode";
  Fd c = lab->socket_in(Ns::driver, AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
  sockaddr_in ta = address(lab->server_addr(), port);
  const int rc =
      ::connect(c.get(), reinterpret_cast<sockaddr*>(&ta), sizeof ta);
  ASSERT_TRUE(rc == -1 && errno == EINPROGRESS) << std::strerror(errno);
  EXPECT_FALSE(ready_within(c.get(), POLLOUT, 1000))
      << "a TCP connection was made in loss mode";
  EXPECT_FALSE(ready_within(l.get(), POLLIN, 0));
  c.reset();  // no SYN of it is retried once the loss ends

  lab->set_loss(false);
  send_byte('c');
  ASSERT_TRUE(ready_within(srv, POLLIN, 10000))
      << "nothing crossed after loss mode was turned off";
  EXPECT_EQ(receive_byte(), 'c') << "the datagram sent in loss mode arrived";
  Fd t = connect_from_driver(*lab, port);
  Fd s = accept_one(l.get());
  const std::byte ping{42};
  ipcb::sys::write_exact(t.get(), &ping, 1, "driver");
  std::byte got{};
  ipcb::sys::read_exact(s.get(), &got, 1, "server");
  EXPECT_EQ(got, ping);
}

// Round trips of one byte over TCP, printed (not asserted) for each delay.
TEST_F(NetLabTest, PrintsTcpPingRoundTrips) {
  std::uint16_t port = 0;
  Fd l = listener(*lab, &port);
  Fd c = connect_from_driver(*lab, port);
  Fd s = accept_one(l.get());
  std::thread echo([&] {
    std::byte b{};
    try {
      for (;;) {
        ipcb::sys::read_exact(s.get(), &b, 1, "echo");
        ipcb::sys::write_exact(s.get(), &b, 1, "echo");
      }
    } catch (const std::exception&) {
      // the driver closed: done
    }
  });
  const std::pair<int, int> delays[] = {{0, 0}, {1000, 0}, {1000, 1000}};
  for (const auto& [ab, ba] : delays) {
    lab->set_delay(ab, ba);
    std::vector<double> us;
    for (int i = 0; i < 50; ++i) {
      const std::byte out{static_cast<unsigned char>(i)};
      std::byte in{};
      const auto t0 = std::chrono::steady_clock::now();
      ipcb::sys::write_exact(c.get(), &out, 1, "ping");
      ipcb::sys::read_exact(c.get(), &in, 1, "ping");
      const auto t1 = std::chrono::steady_clock::now();
      ASSERT_EQ(in, out);
      us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    std::sort(us.begin(), us.end());
    std::cout << "netlab TCP ping, delay driver->server " << ab
              << " us, server->driver " << ba << " us: RTT min " << us.front()
              << " us, median " << us[us.size() / 2] << " us, max " << us.back()
              << " us; delay line " << lab->stats() << "\n";
  }
  ::shutdown(c.get(), SHUT_RDWR);
  echo.join();
}

TEST_F(NetLabTest, RunsProcessesInTheNamespaceAsked) {
  const auto server = lab->run_in(Ns::server, {"ip", "-4", "-o", "addr"});
  ASSERT_EQ(server.exit_code, 0) << server.err;
  EXPECT_NE(server.out.find(lab->server_addr() + "/24"), std::string::npos)
      << server.out;
  EXPECT_EQ(server.out.find(lab->driver_addr() + "/24"), std::string::npos)
      << server.out;
  const auto driver = lab->run_in(Ns::driver, {"ip", "-4", "-o", "addr"});
  ASSERT_EQ(driver.exit_code, 0) << driver.err;
  EXPECT_NE(driver.out.find(lab->driver_addr() + "/24"), std::string::npos)
      << driver.out;
  const auto fails = lab->run_in(Ns::driver, {"ip", "link", "show", "nosuch0"});
  EXPECT_NE(fails.exit_code, 0);
  EXPECT_NE(fails.err.find("nosuch0"), std::string::npos) << fails.err;
  const auto hung =
      lab->run_in(Ns::driver, {"sleep", "100"}, std::chrono::milliseconds(200));
  EXPECT_TRUE(hung.timed_out);
  EXPECT_EQ(hung.exit_code, 128 + SIGKILL);
  const pid_t pid = lab->spawn(Ns::server, {"sleep", "100"});
  struct stat mine {
  }, ns{};
  ASSERT_EQ(::stat(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), &mine),
            0);
  ASSERT_EQ(::stat(("/run/netns/" + lab->ns_name(Ns::server)).c_str(), &ns), 0);
  EXPECT_EQ(mine.st_ino, ns.st_ino);
  lab->kill(pid);
  EXPECT_THROW(lab->wait(pid), std::invalid_argument);
  try {
    lab->spawn(Ns::server, {"/nonexistent/ipcbench"});
    ADD_FAILURE() << "no error for a program that does not exist";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/ipcbench"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(NetLabTest, DelayLineRefusesBadUsageInOneLine) {
  const auto usage = lab->run_in(Ns::middle, {IPCB_DELAY_LINE_PATH, "--a=x"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_NE(usage.err.find("--a and --b must name two interfaces"),
            std::string::npos)
      << usage.err;
  const auto missing = lab->run_in(
      Ns::middle, {IPCB_DELAY_LINE_PATH, "--a=nosuch0", "--b=nosuch1"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("interface nosuch0"), std::string::npos)
      << missing.err;
  EXPECT_THROW(lab->set_delay(-1, 0), std::runtime_error);
}

struct Inode {
  dev_t dev;
  ino_t ino;
};

// Processes (pid, start time) whose network namespace is one of `ns`.
std::set<std::pair<pid_t, std::uint64_t>> processes_in(
    const std::vector<Inode>& ns) {
  std::set<std::pair<pid_t, std::uint64_t>> found;
  DIR* proc = ::opendir("/proc");
  if (!proc) return found;
  while (dirent* e = ::readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    struct stat st {};
    if (::stat(("/proc/" + std::string(e->d_name) + "/ns/net").c_str(), &st))
      continue;
    for (const Inode& n : ns) {
      if (st.st_dev != n.dev || st.st_ino != n.ino) continue;
      const auto id = ipcb::sys::process_identity(static_cast<pid_t>(pid));
      if (id) found.insert({static_cast<pid_t>(pid), id->start_time});
    }
  }
  ::closedir(proc);
  return found;
}

// Dead, waiting for its parent (init, for an orphan) to reap it.
bool zombie(pid_t pid) {
  const std::string stat =
      ipcb::sys::read_text_file("/proc/" + std::to_string(pid) + "/stat");
  const std::size_t close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() &&
         stat[close + 2] == 'Z';
}

std::string ip_out(const std::vector<std::string>& args) {
  std::string cmd = "ip";
  for (const auto& a : args) cmd += " " + a;
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  ::pclose(p);
  return out;
}

// A lab whose scope ends by an exception halfway through a test (as a
// failing ASSERT returns) leaves no namespace, veth or process behind: not
// the delay line, not a spawned process, not the child of one.
TEST(NetLabCleanup, NothingLeftWhenTheLabGoesMidway) {
  std::string why;
  std::vector<std::string> names, veths;
  std::vector<Inode> inodes;
  std::set<std::pair<pid_t, std::uint64_t>> inside;
  try {
    auto lab = NetLab::create(&why);
    if (!lab) GTEST_SKIP() << "two-host lab unavailable: " << why;
    for (Ns ns : {Ns::driver, Ns::middle, Ns::server}) {
      names.push_back(lab->ns_name(ns));
      struct stat st {};
      ASSERT_EQ(::stat(("/run/netns/" + names.back()).c_str(), &st), 0);
      inodes.push_back({st.st_dev, st.st_ino});
    }
    veths = lab->interfaces();
    const std::string listed = ip_out({"netns", "list"});
    for (const auto& n : names)
      EXPECT_NE(listed.find(n), std::string::npos) << listed;
    EXPECT_NE(
        ip_out({"-n", names[0], "-o", "link", "show", veths[0]}).find(veths[0]),
        std::string::npos);
    EXPECT_NE(
        ip_out({"-n", names[1], "-o", "link", "show", veths[2]}).find(veths[2]),
        std::string::npos);
    lab->spawn(Ns::server, {"sleep", "1000"});
    // A shell whose child the lab did not start itself.
    lab->spawn(Ns::driver, {"sh", "-c", "sleep 1000 & wait"});
    for (int i = 0; i < 500 && processes_in(inodes).size() < 4; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    inside = processes_in(inodes);
    // delay line, sleep, sh, sh's sleep
    ASSERT_GE(inside.size(), 4u);
    throw std::runtime_error("midway");
  } catch (const std::runtime_error& e) {
    ASSERT_STREQ(e.what(), "midway");
  }
  const std::string listed = ip_out({"netns", "list"});
  for (const auto& n : names)
    EXPECT_EQ(listed.find(n), std::string::npos) << n << " left: " << listed;
  const std::string links = ip_out({"-o", "link", "show"});
  for (const auto& v : veths)
    EXPECT_EQ(links.find(v), std::string::npos) << v << " left: " << links;
  EXPECT_TRUE(processes_in(inodes).empty());
  for (const auto& [pid, start] : inside) {
    const auto id = ipcb::sys::process_identity(pid);
    EXPECT_FALSE(id && id->start_time == start && !zombie(pid))
        << "process " << pid << " of the lab still runs";
  }
}

// create() removes the namespaces of a lab whose process died without
// cleaning up (killed, say).
TEST(NetLabCleanup, CreateRemovesLabsOfDeadProcesses) {
  if (::geteuid() != 0) GTEST_SKIP() << "not root";
  const pid_t dead = checked("fork", "child", [] { return ::fork(); });
  if (dead == 0) ::_exit(0);
  int status = 0;
  checked("waitpid", "child", [&] { return ::waitpid(dead, &status, 0); });
  const std::string stale = "ipcbt-" + std::to_string(dead) + "-0000dead-drv";
  if (::system(("ip netns add " + stale).c_str()) != 0)
    GTEST_SKIP() << "cannot create a network namespace";
  std::string why;
  auto lab = NetLab::create(&why);
  const bool removed =
      ip_out({"netns", "list"}).find(stale) == std::string::npos;
  if (!removed) (void)!::system(("ip netns del " + stale).c_str());
  ASSERT_TRUE(lab) << why;
  EXPECT_TRUE(removed) << stale << " was not removed";
}

}  // namespace
