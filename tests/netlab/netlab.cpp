#include "netlab.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "sys/checked.hpp"

namespace ipcb::netlab {
namespace {

using sys::checked;
using sys::Fd;

// This machine cannot host the lab: the test is skipped with this reason.
struct Unavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string joined(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

std::string first_line(std::string s) {
  const std::size_t nl = s.find('\n');
  if (nl != std::string::npos) s.resize(nl);
  return s;
}

// argv[0] as a path: itself if it holds a '/', else looked up in PATH and
// then the sbin directories (iproute2's `ip` lives in /usr/sbin).
std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* env = std::getenv("PATH");
  std::istringstream dirs(std::string(env ? env : "") +
                          ":/usr/sbin:/sbin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const std::string path = dir + "/" + name;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

std::string ns_path(const std::string& name) { return "/run/netns/" + name; }

struct Launch {
  std::string ns;  // namespace name; "": this process's
  std::vector<std::string> argv;
  int out = -1;      // stdout; -1: inherited
  int err = -1;      // stderr; -1: inherited
  int control = -1;  // becomes fd 3
  int deathsig = SIGKILL;
};

// fork + (setns) + exec; returns once the exec succeeded, throws the
// child's error otherwise. The child dies with `deathsig` when this process
// does. Only async-signal-safe calls after fork.
pid_t launch(const Launch& l) {
  const std::string path = find_program(l.argv.at(0));
  if (path.empty())
    throw std::runtime_error("netlab: program '" + l.argv[0] +
                             "' not found in PATH");
  std::vector<char*> argv;
  for (const auto& a : l.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::string nsp = l.ns.empty() ? "" : ns_path(l.ns);
  const std::string fail = "netlab: cannot run " + path +
                           (l.ns.empty() ? "" : " in namespace " + l.ns) + ": ";
  // Closed by a successful exec (O_CLOEXEC); else the child's error.
  int status_pipe[2];
  checked("pipe2", "exec status",
          [&] { return ::pipe2(status_pipe, O_CLOEXEC); });
  Fd status_r(status_pipe[0]), status_w(status_pipe[1]);
  const pid_t parent = ::getpid();
  const pid_t pid = checked("fork", l.argv[0], [] { return ::fork(); });
  if (pid != 0) {
    status_w.reset();
    std::string error;
    char buf[512];
    for (;;) {
      const ssize_t n = checked("read", "exec status", [&] {
        return ::read(status_r.get(), buf, sizeof buf);
      });
      if (n == 0) break;
      error.append(buf, static_cast<std::size_t>(n));
    }
    if (error.empty()) return pid;
    int ignored = 0;
    ::waitpid(pid, &ignored, 0);
    throw std::runtime_error(error);
  }
  // The child.
  const int report = status_w.get();
  ::prctl(PR_SET_PDEATHSIG, l.deathsig);
  if (::getppid() != parent) ::_exit(127);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  const char* step = "setns";
  if (!nsp.empty()) {
    const int fd = ::open(nsp.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) goto failed;
  }
  step = "redirect";
  {
    const int null = ::open("/dev/null", O_RDONLY);
    if (null < 0 || ::dup2(null, 0) < 0) goto failed;
  }
  if (l.out >= 0 && ::dup2(l.out, 1) < 0) goto failed;
  if (l.err >= 0 && ::dup2(l.err, 2) < 0) goto failed;
  if (l.control >= 0 &&
      (l.control == 3 ? ::fcntl(3, F_SETFD, 0) : ::dup2(l.control, 3)) < 0)
    goto failed;
  step = "exec";
  ::execv(path.c_str(), argv.data());
failed:
  const int e = errno;
  const char* why = std::strerror(e);
  (void)!::write(report, fail.data(), fail.size());
  (void)!::write(report, step, std::strlen(step));
  (void)!::write(report, ": ", 2);
  (void)!::write(report, why, std::strlen(why));
  ::_exit(127);
}

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

int reap(pid_t pid) {
  int status = 0;
  checked("waitpid", std::to_string(pid),
          [&] { return ::waitpid(pid, &status, 0); });
  return exit_code(status);
}

// Runs l to its end, capturing stdout and stderr; SIGKILL after timeout.
RunResult run_captured(Launch l, std::chrono::milliseconds timeout) {
  int out[2], err[2];
  checked("pipe2", "stdout", [&] { return ::pipe2(out, O_CLOEXEC); });
  Fd out_r(out[0]), out_w(out[1]);
  checked("pipe2", "stderr", [&] { return ::pipe2(err, O_CLOEXEC); });
  Fd err_r(err[0]), err_w(err[1]);
  l.out = out_w.get();
  l.err = err_w.get();
  const pid_t pid = launch(l);
  out_w.reset();
  err_w.reset();
  RunResult r;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string* sinks[2] = {&r.out, &r.err};
  Fd* sources[2] = {&out_r, &err_r};
  while (out_r || err_r) {
    pollfd fds[2];
    nfds_t n = 0;
    std::string* sink_of[2];
    Fd* source_of[2];
    for (int i = 0; i < 2; ++i) {
      if (!*sources[i]) continue;
      fds[n] = {sources[i]->get(), POLLIN, 0};
      sink_of[n] = sinks[i];
      source_of[n++] = sources[i];
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const int ready = checked("poll", l.argv[0], [&] {
      return ::poll(fds, n, r.timed_out ? -1 : std::max<int>(0, left.count()));
    });
    if (ready == 0) {
      r.timed_out = true;
      ::kill(pid, SIGKILL);
      continue;
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      char buf[65536];
      const ssize_t got = checked("read", l.argv[0], [&] {
        return ::read(fds[i].fd, buf, sizeof buf);
      });
      if (got == 0)
        source_of[i]->reset();
      else
        sink_of[i]->append(buf, static_cast<std::size_t>(got));
    }
  }
  r.exit_code = reap(pid);
  return r;
}

// `ip ARGS...` in this namespace.
RunResult ip(const std::vector<std::string>& args) {
  Launch l;
  l.argv = {"ip"};
  l.argv.insert(l.argv.end(), args.begin(), args.end());
  return run_captured(l, std::chrono::seconds(30));
}

void ip_or_throw(const std::vector<std::string>& args) {
  const RunResult r = ip(args);
  if (r.exit_code != 0)
    throw std::runtime_error("netlab: ip " + joined(args) + ": " +
                             first_line(r.err));
}

// SIGKILLs every process inside the namespace bound at `path` (spawned
// ones, their children, anything that entered it) until none is left.
void kill_inside(const std::string& path) {
  struct stat ns {};
  if (::stat(path.c_str(), &ns) != 0) return;
  for (int round = 0; round < 100; ++round) {
    bool found = false;
    DIR* proc = ::opendir("/proc");
    if (!proc) return;
    while (dirent* e = ::readdir(proc)) {
      char* end = nullptr;
      const long pid = std::strtol(e->d_name, &end, 10);
      if (*end != '\0' || pid <= 0 || pid == ::getpid()) continue;
      struct stat st {};
      const std::string link = std::string("/proc/") + e->d_name + "/ns/net";
      if (::stat(link.c_str(), &st) != 0) continue;
      if (st.st_dev == ns.st_dev && st.st_ino == ns.st_ino) {
        ::kill(static_cast<pid_t>(pid), SIGKILL);
        found = true;
      }
    }
    ::closedir(proc);
    if (!found) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// Deletes the namespaces of labs whose process is gone.
void remove_stale_labs() {
  const RunResult list = ip({"netns", "list"});
  std::istringstream lines(list.out);
  std::string line;
  while (std::getline(lines, line)) {
    const std::string name = line.substr(0, line.find(' '));
    if (name.rfind("ipcbt-", 0) != 0) continue;
    const long pid = std::strtol(name.c_str() + 6, nullptr, 10);
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    kill_inside(ns_path(name));
    ip({"netns", "del", name});
  }
}

constexpr std::chrono::seconds kControlTimeout(10);

// The next message on the control socket; throws on timeout or EOF.
std::string receive_reply(int fd, const std::string& what) {
  pollfd p{fd, POLLIN, 0};
  const int ready = checked("poll", "delay line control socket", [&] {
    return ::poll(&p, 1, static_cast<int>(kControlTimeout.count() * 1000));
  });
  if (ready == 0)
    throw std::runtime_error("netlab: ipcb_delay_line did not answer " + what +
                             " within 10 s");
  char buf[256];
  const ssize_t n = checked("recv", "delay line control socket",
                            [&] { return ::recv(fd, buf, sizeof buf, 0); });
  if (n == 0)
    throw std::runtime_error("netlab: ipcb_delay_line exited (" + what +
                             "); its error is on stderr above");
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace

std::unique_ptr<NetLab> NetLab::create(std::string* why_not,
                                       std::string delay_line) {
  if (::geteuid() != 0) {
    *why_not = "not root: the two-host lab creates network namespaces";
    return nullptr;
  }
  if (find_program("ip").empty()) {
    *why_not = "no `ip` (iproute2) in PATH: install iproute2";
    return nullptr;
  }
  remove_stale_labs();
  std::unique_ptr<NetLab> lab(new NetLab);
  try {
    lab->setup(delay_line);
  } catch (const Unavailable& e) {
    *why_not = e.what();
    return nullptr;  // lab's destructor removes what was made
  }
  return lab;
}

void NetLab::setup(const std::string& delay_line) {
  if (::access(delay_line.c_str(), X_OK) != 0)
    throw std::runtime_error("netlab: no delay line at " + delay_line +
                             ": build the ipcb_delay_line target");
  std::random_device rd;
  const std::uint32_t r = rd();
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", r);
  tag_ = hex;
  subnet_ = "10." + std::to_string(200 + r % 50) + "." +
            std::to_string((r >> 8) & 255);
  const std::string base =
      "ipcbt-" + std::to_string(::getpid()) + "-" + tag_ + "-";
  ns_ = {base + "drv", base + "mid", base + "srv"};
  for (const auto& ns : ns_) {
    const RunResult r = ip({"netns", "add", ns});
    if (r.exit_code != 0) {
      const std::string why =
          "cannot create network namespace " + ns + ": " + first_line(r.err);
      if (made_.empty()) throw Unavailable(why);
      throw std::runtime_error("netlab: " + why);
    }
    made_.push_back(ns);
  }
  const auto names = interfaces();
  const std::string& drv = ns_[0];
  const std::string& mid = ns_[1];
  const std::string& srv = ns_[2];
  const std::string in_ns[4] = {drv, mid, mid, srv};
  for (int pair = 0; pair < 2; ++pair) {
    const int i = 2 * pair;
    const std::vector<std::string> args = {
        "link", "add",  names[i], "netns",      in_ns[i], "type",
        "veth", "peer", "name",   names[i + 1], "netns",  in_ns[i + 1]};
    const RunResult r = ip(args);
    if (r.exit_code != 0) {
      const std::string why = "ip " + joined(args) + ": " + first_line(r.err);
      if (r.err.find("Unknown device type") != std::string::npos ||
          r.err.find("not supported") != std::string::npos)
        throw Unavailable("no veth: " + why);
      throw std::runtime_error("netlab: " + why);
    }
  }
  for (const auto& ns : ns_) ip_or_throw({"-n", ns, "link", "set", "lo", "up"});
  for (int i = 0; i < 4; ++i)
    ip_or_throw({"-n", in_ns[i], "link", "set", "dev", names[i], "mtu", "1500",
                 "addrgenmode", "none"});
  ip_or_throw(
      {"-n", drv, "addr", "add", driver_addr() + "/24", "dev", names[0]});
  ip_or_throw(
      {"-n", srv, "addr", "add", server_addr() + "/24", "dev", names[3]});
  for (int i = 0; i < 4; ++i)
    ip_or_throw({"-n", in_ns[i], "link", "set", "dev", names[i], "up"});
  start_delay_line(delay_line);
}

void NetLab::start_delay_line(const std::string& path) {
  int sv[2];
  checked("socketpair", "delay line control socket", [&] {
    return ::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
  });
  control_.reset(sv[0]);
  Fd theirs(sv[1]);
  const auto names = interfaces();
  Launch l;
  l.ns = ns_[1];
  l.argv = {path, "--a=" + names[1], "--b=" + names[2], "--control-fd=3"};
  l.control = theirs.get();
  l.deathsig = SIGTERM;
  delay_line_ = launch(l);
  theirs.reset();
  const std::string hello = receive_reply(control_.get(), "when starting");
  if (hello != "ready")
    throw std::runtime_error("netlab: ipcb_delay_line said '" + hello +
                             "' instead of ready");
}

std::string NetLab::command(const std::string& cmd) {
  checked("send", "delay line control socket", [&] {
    return ::send(control_.get(), cmd.data(), cmd.size(), MSG_NOSIGNAL);
  });
  const std::string reply = receive_reply(control_.get(), "'" + cmd + "'");
  if (reply.rfind("ok", 0) != 0)
    throw std::runtime_error("netlab: ipcb_delay_line: '" + cmd +
                             "': " + reply);
  return reply.size() > 3 ? reply.substr(3) : "";
}

void NetLab::set_delay(std::int64_t us_driver_to_server,
                       std::int64_t us_server_to_driver) {
  command("delay " + std::to_string(us_driver_to_server) + " " +
          std::to_string(us_server_to_driver));
}

void NetLab::set_loss(bool on) { command(on ? "loss on" : "loss off"); }

std::string NetLab::stats() { return command("stats"); }

const std::string& NetLab::ns_name(Ns ns) const {
  return ns_.at(static_cast<std::size_t>(ns));
}

std::vector<std::string> NetLab::interfaces() const {
  const std::string base = "ipcbt" + tag_;
  return {base + "d", base + "a", base + "b", base + "s"};
}

RunResult NetLab::run_in(Ns ns, const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout) {
  Launch l;
  l.ns = ns_name(ns);
  l.argv = argv;
  return run_captured(l, timeout);
}

pid_t NetLab::spawn(Ns ns, const std::vector<std::string>& argv) {
  Launch l;
  l.ns = ns_name(ns);
  l.argv = argv;
  spawned_.reserve(spawned_.size() + 1);
  const pid_t pid = launch(l);
  spawned_.push_back(pid);
  return pid;
}

int NetLab::wait(pid_t pid) {
  const auto it = std::find(spawned_.begin(), spawned_.end(), pid);
  if (it == spawned_.end())
    throw std::invalid_argument("netlab: wait(" + std::to_string(pid) +
                                "): not a process spawned by this lab");
  spawned_.erase(it);
  return reap(pid);
}

void NetLab::kill(pid_t pid) {
  if (std::find(spawned_.begin(), spawned_.end(), pid) == spawned_.end())
    throw std::invalid_argument("netlab: kill(" + std::to_string(pid) +
                                "): not a process spawned by this lab");
  ::kill(pid, SIGKILL);
  wait(pid);
}

sys::Fd NetLab::socket_in(Ns ns, int domain, int type) {
  const std::string path = ns_path(ns_name(ns));
  Fd target(checked("open", path, [&] {
    return ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  }));
  Fd home(checked("open", "/proc/thread-self/ns/net", [] {
    return ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  }));
  checked("setns", path, [&] { return ::setns(target.get(), CLONE_NEWNET); });
  const int s = ::socket(domain, type | SOCK_CLOEXEC, 0);
  const int err = errno;
  if (::setns(home.get(), CLONE_NEWNET) != 0) {
    std::perror("netlab: setns back to this thread's namespace");
    std::abort();  // this thread would go on in the lab's namespace
  }
  if (s < 0) throw sys::SysError("socket", ns_name(ns), err);
  return Fd(s);
}

NetLab::~NetLab() { teardown(); }

void NetLab::teardown() noexcept {
  try {
    // The delay line exits when its control socket closes; SIGTERM too.
    control_.reset();
    if (delay_line_ > 0) {
      ::kill(delay_line_, SIGTERM);
      int status = 0;
      for (int i = 0; i < 500; ++i) {
        if (::waitpid(delay_line_, &status, WNOHANG) != 0) break;
        if (i == 499) {
          ::kill(delay_line_, SIGKILL);
          ::waitpid(delay_line_, &status, 0);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      delay_line_ = -1;
    }
    for (pid_t pid : spawned_) {
      ::kill(pid, SIGKILL);
      int status = 0;
      ::waitpid(pid, &status, 0);
    }
    spawned_.clear();
    // Anything else still inside (children of spawned processes), then the
    // veths (their peers go with them) and the namespaces.
    for (const auto& ns : made_) kill_inside(ns_path(ns));
    if (made_.size() == ns_.size()) {
      const auto names = interfaces();
      for (const auto& name : {names[1], names[2]})
        ip({"-n", ns_[1], "link", "del", name});  // absent if setup failed
    }
    for (const auto& ns : made_) {
      const RunResult r = ip({"netns", "del", ns});
      if (r.exit_code != 0)
        std::cerr << "netlab: ip netns del " << ns << ": " << first_line(r.err)
                  << "\n";
    }
    made_.clear();
  } catch (const std::exception& e) {
    std::cerr << "netlab: clean-up failed: " << e.what() << "\n";
  }
}

void NetLabTest::SetUp() {
  std::string why;
  lab = NetLab::create(&why);
  if (!lab) GTEST_SKIP() << "two-host lab unavailable: " << why;
}

}  // namespace ipcb::netlab
