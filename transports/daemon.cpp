#include "transports/daemon.hpp"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "sys/cancel.hpp"
#include "sys/checked.hpp"
#include "sys/manifest.hpp"
#include "sys/process.hpp"

namespace ipcb::transports {

namespace {

constexpr auto kStopGrace = std::chrono::seconds(5);
constexpr auto kProbeEvery = std::chrono::milliseconds(5);

// In the child between fork and exec: async-signal-safe calls only.
[[noreturn]] void exec_child(pid_t parent, int log_fd, int null_fd,
                             int report_fd, const cpu_set_t& cpus,
                             char* const* argv) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);  // the driver already died
  ::setpgid(0, 0);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; ++s) ::sigaction(s, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::sched_setaffinity(0, sizeof cpus, &cpus);
  if (::dup2(null_fd, 0) < 0 || ::dup2(log_fd, 1) < 0 ||
      ::dup2(log_fd, 2) < 0 || ::dup2(report_fd, 3) < 0)
    ::_exit(127);
  ::syscall(SYS_close_range, 4U, ~0U, 0U);
  ::fcntl(3, F_SETFD, FD_CLOEXEC);
  ::execv(argv[0], argv);
  const int err = errno;
  (void)!::write(3, &err, sizeof err);
  ::_exit(127);
}

sys::Fd open_new(const std::string& path, int flags) {
  return sys::Fd(sys::create_exclusive("open", path, [&] {
    return ::open(path.c_str(),
                  flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  }));
}

}  // namespace

std::string find_executable(const std::string& program) {
  std::string dirs = ::getenv("PATH") ? ::getenv("PATH") : "";
  dirs += ":/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin:/sbin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string d = dirs.substr(start, end - start);
    start = end + 1;
    if (d.empty() || d[0] != '/') continue;
    const std::string p = d + "/" + program;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

std::string Daemon::path(const std::string& name) const {
  return spec_.dir + "/" + name;
}

void Daemon::write_config() const {
  if (spec_.config_file.empty()) return;
  const std::string p = path(spec_.config_file);
  sys::Fd fd = open_new(p, O_WRONLY);
  sys::write_exact(fd.get(),
                   reinterpret_cast<const std::byte*>(spec_.config_text.data()),
                   spec_.config_text.size(), p);
}

void Daemon::start(const DaemonSpec& spec) {
  stop();
  spec_ = spec;
  const std::string& exe = spec_.executable;
  if (exe.empty() || exe[0] != '/' ||
      exe.find_first_of(" \t\n") != std::string::npos)
    throw std::invalid_argument(spec_.name + ": executable path \"" + exe +
                                "\" is not an absolute path without spaces");
  write_config();
  const std::string log = path(spec_.log_file);
  sys::Fd log_fd = open_new(log, O_WRONLY | O_APPEND);
  sys::Fd null_fd(sys::checked("open", "/dev/null", [] {
    return ::open("/dev/null", O_RDWR | O_CLOEXEC);
  }));
  int report[2];
  sys::checked("pipe2", spec_.name + " exec report",
               [&] { return ::pipe2(report, O_CLOEXEC); });
  sys::Fd report_r(report[0]), report_w(report[1]);
  // Everything the child needs is built before fork (no allocation after).
  std::vector<std::string> args{exe};
  args.insert(args.end(), spec_.args.begin(), spec_.args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  for (int c = 0; c < CPU_SETSIZE; ++c) CPU_SET(c, &cpus);
  const pid_t parent = ::getpid();
  const pid_t pid = sys::checked("fork", spec_.name, [] { return ::fork(); });
  if (pid == 0)
    exec_child(parent, log_fd.get(), null_fd.get(), report_w.get(), cpus,
               argv.data());
  pid_ = pid;
  report_w.reset();
  pidfd_ = sys::Fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  int err = 0;
  const ssize_t n = sys::checked("read", spec_.name + " exec report", [&] {
    return ::read(report_r.get(), &err, sizeof err);
  });
  if (n > 0) {
    stop();
    throw sys::SysError("execve", spec_.name + " " + exe, err);
  }
  // The start time is set at fork and kept across exec; /proc/<pid>/exe
  // shows the executable with every link resolved.
  const auto id = sys::process_identity(pid);
  char real[PATH_MAX];
  sys::record_process(spec_.dir, pid, id ? id->start_time : 0,
                      ::realpath(exe.c_str(), real) ? real : exe);
}

bool Daemon::exited() {
  if (pid_ <= 0) return true;
  int st = 0;
  const pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == 0) return false;
  if (r == pid_) status_ = st;
  pid_ = -1;
  pidfd_.reset();
  return true;
}

void Daemon::wait_ready(const std::function<bool()>& probe,
                        std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (exited()) {
      const std::string how =
          WIFEXITED(status_)
              ? "exited with status " + std::to_string(WEXITSTATUS(status_))
              : "was killed by signal " + std::to_string(WTERMSIG(status_));
      fail(how + " before answering");
    }
    if (probe()) return;
    if (sys::cancelled()) {
      stop();
      sys::throw_cancelled("start", spec_.name);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      stop();
      fail("did not answer within " + std::to_string(timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(kProbeEvery);
  }
}

void Daemon::stop() noexcept {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto grace =
      std::chrono::duration_cast<std::chrono::milliseconds>(kStopGrace);
  bool gone = false;
  if (pidfd_) {
    pollfd p{pidfd_.get(), POLLIN, 0};
    const auto until = std::chrono::steady_clock::now() + grace;
    int r;
    do {  // poll() returns EINTR on the harness's signals: go on waiting
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      r = ::poll(&p, 1, static_cast<int>(std::max<long>(0, left.count())));
    } while (r < 0 && errno == EINTR);
    gone = r > 0;
  }
  if (!gone) ::kill(pid_, SIGKILL);
  int st = 0;
  while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  status_ = st;
  pid_ = -1;
  pidfd_.reset();
}

std::string Daemon::last_log_line() const {
  std::string text = sys::read_text_file(path(spec_.log_file));
  if (text.size() > 4096) text = text.substr(text.size() - 4096);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  const std::size_t nl = text.rfind('\n');
  return nl == std::string::npos ? text : text.substr(nl + 1);
}

void Daemon::fail(const std::string& fallback) const {
  std::string line = last_log_line();
  // A daemon that names itself ("nats-server: ...") is not named twice.
  if (line.rfind(spec_.name + ": ", 0) == 0)
    line.erase(0, spec_.name.size() + 2);
  throw std::runtime_error(
      spec_.name + ": " +
      (line.empty() ? fallback : line + " (" + fallback + ")"));
}

}  // namespace ipcb::transports
