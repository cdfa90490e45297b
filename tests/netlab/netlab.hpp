// NetLab: two "hosts" on one machine for the two-host tests: a driver and a
// server network namespace joined, through a middle namespace, by a
// userspace delay line (ipcb_delay_line, delay_line.cpp) whose delay per
// direction and loss can be changed while a test runs.
//
//   driver ns                 middle ns                      server ns
//   <tag>d 10.X.Y.1/24 --veth-- <tag>a [ipcb_delay_line] <tag>b --veth--
//   <tag>s 10.X.Y.2/24
//
// Names: namespaces "ipcbt-<pid>-<8 hex>-drv|mid|srv", veths
// "ipcbt<8 hex>d|a|b|s" (created directly inside their namespaces, so none
// ever exists in the caller's namespace). MTU 1500, loopback up in each,
// IPv6 addresses off on the veths (nothing but the test's traffic crosses).
//
// Contract. Requires root, `ip` (iproute2), network namespaces and veth.
// create() returns nullptr and the reason when this machine cannot host the
// lab (for GTEST_SKIP: see NetLabTest); any later failure throws a one-line
// error. The destructor (so every exit of a test, a failing ASSERT
// included) kills the delay line, every process spawned by spawn()/run_in()
// and any other process still inside the lab's namespaces, then deletes the
// namespaces, which deletes the veths with them. create() also deletes the
// namespaces of labs whose process died without cleaning up.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sys/fd.hpp"

namespace ipcb::netlab {

enum class Ns { driver, middle, server };

struct RunResult {
  int exit_code = -1;  // exit status; 128 + signal when killed
  bool timed_out = false;
  std::string out;
  std::string err;
};

class NetLab {
 public:
  // A new lab, or nullptr with *why_not set when this machine cannot host
  // one (not root, no `ip`, namespaces or veth refused).
  static std::unique_ptr<NetLab> create(
      std::string* why_not, std::string delay_line = IPCB_DELAY_LINE_PATH);
  ~NetLab();
  NetLab(const NetLab&) = delete;
  NetLab& operator=(const NetLab&) = delete;

  std::string driver_addr() const { return subnet_ + ".1"; }
  std::string server_addr() const { return subnet_ + ".2"; }
  const std::string& ns_name(Ns ns) const;
  // The four veth names: driver, middle (driver side), middle (server
  // side), server.
  std::vector<std::string> interfaces() const;

  // Delay of the frames driver->server and server->driver, microseconds,
  // for frames arriving from now on; in effect when this returns.
  void set_delay(std::int64_t us_driver_to_server,
                 std::int64_t us_server_to_driver);
  // Loss mode: every frame, in flight or arriving, is dropped; off:
  // delivered again. In effect when this returns.
  void set_loss(bool on);
  // The delay line's counts: "ab=N ba=N dropped=N late_us_mean=X
  // late_us_max=Y" (a: the driver side; see delay_line.cpp).
  std::string stats();

  // Runs argv (argv[0] a path, or a name looked up in PATH; no shell)
  // inside `ns` to its end, with stdin from /dev/null and stdout and stderr
  // captured; killed (SIGKILL) after `timeout`.
  RunResult run_in(
      Ns ns, const std::vector<std::string>& argv,
      std::chrono::milliseconds timeout = std::chrono::seconds(120));
  // Starts argv inside `ns` in the background, stdin from /dev/null and
  // stdout/stderr those of this process. The destructor kills it unless
  // wait() reaped it.
  pid_t spawn(Ns ns, const std::vector<std::string>& argv);
  // Waits for a spawned process; its exit status, 128 + signal if killed.
  int wait(pid_t pid);
  // SIGKILLs a spawned process and reaps it.
  void kill(pid_t pid);

  // A socket created inside `ns` (a socket stays in the namespace it was
  // made in), so that a test can talk across the lab in-process.
  sys::Fd socket_in(Ns ns, int domain, int type);

 private:
  NetLab() = default;
  void setup(const std::string& delay_line);
  void start_delay_line(const std::string& path);
  std::string command(const std::string& cmd);
  void teardown() noexcept;

  std::string tag_;                // 8 hex digits
  std::string subnet_;             // "10.X.Y"
  std::vector<std::string> ns_;    // driver, middle, server
  std::vector<std::string> made_;  // namespaces created so far
  pid_t delay_line_ = -1;
  sys::Fd control_;
  std::vector<pid_t> spawned_;
};

// A GoogleTest fixture: `lab` is a fresh NetLab, or the test is skipped
// with the reason the machine cannot host one.
class NetLabTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override { lab.reset(); }
  std::unique_ptr<NetLab> lab;
};

}  // namespace ipcb::netlab
