#include "harness/pair.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <mutex>
#include <vector>

#include "harness/cpu.hpp"
#include "sys/cancel.hpp"
#include "sys/checked.hpp"
#include "sys/fd.hpp"

namespace ipcb::harness {

using sys::checked;
using sys::Fd;

namespace {
void on_sigusr1(int) {}
}  // namespace

void install_driver_signals() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_handler = on_sigusr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR
    ::sigaction(SIGUSR1, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
  });
}

Pair::Pair(const PeerSpec& spec, transports::Transport& transport)
    : transport_(transport),
      main_thread_(::pthread_self()),
      timeout_(spec.timeout) {
  install_driver_signals();
  try {
    auto [mine, theirs] = Control::make_pair();
    ctl_ = Control(std::move(mine));
    set_phase("prepare");
    if (!spec.transport_prepared) transport_.prepare();
    set_phase("spawn");
    spawn(spec, std::move(theirs));
    stop_fd_ = Fd(checked("eventfd", "watchdog",
                          [] { return ::eventfd(0, EFD_CLOEXEC); }));
    watchdog_ = std::thread([this] { watch(); });
    set_phase("setup");
    const auto& c = spec.config;
    ctl_.send({{"type", "setup"},
               {"transport", spec.transport},
               {"config",
                {{"max_message_bytes", c.max_message_bytes},
                 {"wait", transports::to_string(c.wait)},
                 {"dir", c.dir},
                 {"name_prefix", c.name_prefix},
                 {"producers", c.producers},
                 {"consumers", c.consumers},
                 {"capacity_bytes", c.capacity_bytes}}},
               {"handoff", transport_.handoff()},
               {"job", spec.job},
               {"release_fd", spec.release_fd},
               {"fault", spec.fault}});
    set_phase("connect");
  } catch (...) {
    stop_watchdog();
    // A peer that died on its own (killed between two invocations of a
    // benchmark, say) is the cause: give it a moment to be reaped.
    bool died_alone = reaped_;  // the watchdog saw it go
    if (pid_ > 0 && !reaped_) {
      pollfd p{pidfd_ ? pidfd_.get() : -1, POLLIN, 0};
      if (::poll(&p, 1, 500) <= 0) ::kill(pid_, SIGKILL);
      reap(-1);
      died_alone = p.revents != 0;
    }
    transport_.teardown();
    if (died_alone && !timed_out_ && status_ != 0)
      throw std::runtime_error("peer " + status_text() + " during " +
                               phase_.load());
    throw;
  }
}

Pair::~Pair() {
  sys::note_progress();
  stop_watchdog();
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    reap(-1);
  }
  transport_.teardown();
  sys::reset_cancel();
}

SpawnedPeer spawn_peer(const std::string& executable, int ctl_fd,
                       std::vector<int> keep, int cpu) {
  keep.push_back(ctl_fd);
  std::vector<std::string> args = {executable, "--peer",
                                   "--peer-ctl-fd=" + std::to_string(ctl_fd)};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  cpu_set_t set;
  CPU_ZERO(&set);
  if (cpu >= 0) {
    CPU_SET(cpu, &set);
  } else {
    for (int c : initial_cpus()) CPU_SET(c, &set);
  }
  const pid_t parent = ::getpid();
  SpawnedPeer out;
  out.pid = checked("fork", "peer", [] { return ::fork(); });
  if (out.pid == 0) {
    // Child of a possibly multi-threaded process: async-signal-safe calls only.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::sched_setaffinity(0, sizeof set, &set);
    for (int fd : keep) ::fcntl(fd, F_SETFD, 0);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  try {
    out.pidfd = Fd(checked("pidfd_open", "peer", [&] {
      return static_cast<int>(::syscall(SYS_pidfd_open, out.pid, 0));
    }));
  } catch (...) {
    ::kill(out.pid, SIGKILL);
    while (::waitpid(out.pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    throw;
  }
  return out;
}

std::string exit_status_text(int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    return "was killed by signal " + std::to_string(sig) + " (" +
           sigabbrev_np(sig) + ")";
  }
  int code = WEXITSTATUS(status);
  std::string s = "exited with status " + std::to_string(code);
  if (code == 127) s += " (could not exec the ipcbench executable)";
  return s;
}

void Pair::spawn(const PeerSpec& spec, Fd peer_end) {
  std::vector<int> keep = transport_.inherited_fds();
  if (spec.release_fd >= 0) keep.push_back(spec.release_fd);
  SpawnedPeer p =
      spawn_peer(spec.executable, peer_end.get(), keep, spec.peer_cpu);
  pid_ = p.pid;
  pidfd_ = std::move(p.pidfd);
}

void Pair::watch() {
  // Process-directed signals (SIGINT, SIGTERM) must reach the driver's main
  // thread, whose blocking call they interrupt, not this one.
  sigset_t all;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  bool peer_gone = false;
  for (;;) {
    pollfd fds[2] = {{stop_fd_.get(), POLLIN, 0},
                     {peer_gone ? -1 : pidfd_.get(), POLLIN, 0}};
    int wait_ms = 2;  // once the peer is gone: re-signal the driver
    if (!peer_gone) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      wait_ms = static_cast<int>(std::max<std::int64_t>(0, left.count()));
    }
    int r = ::poll(fds, 2, wait_ms);
    if (r < 0) continue;  // EINTR
    if (fds[0].revents != 0) return;
    if (!peer_gone && fds[1].revents != 0) {
      int st = 0;
      if (::waitpid(pid_, &st, 0) == pid_) {
        status_ = st;
        reaped_ = true;
      }
      peer_gone = true;
      sys::request_cancel();
    } else if (!peer_gone && r == 0) {
      timed_out_ = true;
      ::kill(pid_, SIGKILL);  // pidfd becomes readable next
      continue;
    }
    if (peer_gone) {
      // Re-assert: another pair ending in this process may have reset it.
      sys::request_cancel();
      ::pthread_kill(main_thread_, SIGUSR1);
    }
  }
}

void Pair::stop_watchdog() noexcept {
  if (!watchdog_.joinable()) return;
  std::uint64_t one = 1;
  (void)!::write(stop_fd_.get(), &one, sizeof one);
  watchdog_.join();
}

void Pair::reap(int wait_ms) noexcept {
  if (pid_ <= 0 || reaped_) return;
  if (wait_ms >= 0) {
    pollfd p{pidfd_.get(), POLLIN, 0};
    if (::poll(&p, 1, wait_ms) <= 0) ::kill(pid_, SIGKILL);
  }
  int st = 0;
  while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  status_ = st;
  reaped_ = true;
}

nlohmann::json Pair::expect(const char* type) {
  nlohmann::json msg = ctl_.recv();
  if (msg.value("type", "") == "error") {
    peer_error_ = msg.value("what", "?");  // the cause explain_failure names
    throw std::runtime_error("peer failed: " + peer_error_);
  }
  if (msg.value("type", "") != type) {
    throw std::runtime_error(std::string("peer sent '") +
                             msg.value("type", "?") + "' instead of '" + type +
                             "'");
  }
  return msg;
}

void Pair::start_gate() {
  set_phase("start gate");
  ready_ = expect("ready");
  ctl_.send({{"type", "go"}});
  set_phase("run");
}

void Pair::wait_warm() {
  set_phase("warm-up gate");
  expect("warm");
  set_phase("run");
}

nlohmann::json Pair::finish() {
  set_phase("finish");
  nlohmann::json done = expect("done");
  stop_watchdog();
  ctl_.send({{"type", "bye"}});
  reap(5000);
  return done;
}

std::string Pair::status_text() const { return exit_status_text(status_); }

std::string Pair::explain_failure(const std::exception& e) {
  sys::note_progress();
  stop_watchdog();
  const std::string phase = phase_.load();
  std::string peer_error = peer_error_;
  if (auto m = ctl_.poll_recv(reaped_ ? 0 : 200);
      m && m->is_object() && m->value("type", "") == "error") {
    peer_error = m->value("what", "");
  }
  // A driver error (EOF, ECONNRESET, EPIPE) is usually the peer dying: give
  // it a moment to be reaped so that its own status is the reported cause.
  if (!reaped_ && pid_ > 0) {
    pollfd p{pidfd_.get(), POLLIN, 0};
    if (::poll(&p, 1, 500) > 0) reap(-1);
  }
  if (timed_out_) {
    return "peer stopped answering: no result within " +
           std::to_string(timeout_.count() / 1000.0).substr(0, 5) +
           " s (during " + phase +
           "); the peer was killed. Raise --timeout "
           "if the run is merely slow";
  }
  if (!peer_error.empty())
    return "peer failed during " + phase + ": " + peer_error;
  if (reaped_ && status_ != 0) {
    return "peer " + status_text() + " during " + phase;
  }
  return "driver failed during " + phase + ": " + e.what();
}

}  // namespace ipcb::harness
