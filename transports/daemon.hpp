// A private daemon that a transport needs (a broker such as redis-server or
// nats-server, or a middleware's central process), started by the transport
// in the driver's prepare() and stopped by its teardown().
//
// Contract. start() writes the daemon's config file into the run's private
// 0700 directory (created O_EXCL|O_NOFOLLOW, mode 0600: never an existing
// file, never through a link), then fork()s and exec()s the executable with
// only async-signal-safe calls in between (the driver is multi-threaded):
// the child asks for SIGKILL when the thread that forked it ends
// (PR_SET_PDEATHSIG; exits at once if the driver already died), moves to
// its own process group (a terminal's ^C reaches the driver, which stops
// the daemon itself), runs on every CPU the machine allows (never inheriting
// the driver thread's pinning), with default signal dispositions and mask,
// stdin /dev/null, stdout and stderr appended to a log file in the private
// directory, and no other descriptor of the driver. The process is recorded
// in the directory's "ipc-objects" manifest ("proc <pid> <start time> <exe>")
// so that `ipcbench --cleanup` can end it if the driver dies without
// stopping it (harness/cleanup.hpp).
// wait_ready() polls the caller's probe until it answers, bounded; if the
// daemon exits, does not answer in time or the run is cancelled, it throws an
// error carrying the daemon's own last log line ("redis-server: <its line>").
// stop(): SIGTERM, a bounded wait, SIGKILL, reap; idempotent, noexcept.
// The thread that calls start() must outlive the daemon (PDEATHSIG follows
// the forking thread, not the process): transports start it in prepare() and
// stop it in teardown(), on the same driver thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "sys/fd.hpp"

namespace ipcb::transports {

struct DaemonSpec {
  std::string name;  // how errors call it: "redis-server"
  // Absolute path without white space, as found (not resolved: a program
  // may act on the name it is run by, as redis-server, a link, does).
  std::string executable;
  std::vector<std::string> args;  // after argv[0]
  std::string dir;                // the run's private directory
  std::string config_file;        // its name in `dir` ("" for none)
  std::string config_text;
  std::string log_file;  // its name in `dir`: the daemon's stdout + stderr
};

class Daemon {
 public:
  Daemon() = default;
  ~Daemon() { stop(); }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Throws with the reason (exec failure: "redis-server: execve(<path>):
  // No such file or directory").
  void start(const DaemonSpec& spec);
  // Calls probe() (true: the daemon answers) every few ms until it answers.
  void wait_ready(const std::function<bool()>& probe,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void stop() noexcept;

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  // `name` inside the private directory.
  std::string path(const std::string& name) const;
  // The last non-empty line of the daemon's log ("" when none).
  std::string last_log_line() const;
  // Throws "<name>: <last log line>" (or `fallback` when the log is empty).
  [[noreturn]] void fail(const std::string& fallback) const;
  // True once the daemon has exited (it is then reaped).
  bool exited();

 private:
  void write_config() const;

  DaemonSpec spec_;
  pid_t pid_ = -1;
  sys::Fd pidfd_;
  int status_ = 0;
};

// The absolute path of `program` found in PATH (or in /usr/sbin, /usr/bin,
// /usr/local/bin, /usr/local/sbin, /sbin, /bin, where Debian installs
// daemons), not resolved through links; "" when not found.
std::string find_executable(const std::string& program);

}  // namespace ipcb::transports
