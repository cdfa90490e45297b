#include "transports/iceoryx_roudi.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "sys/cancel.hpp"
#include "sys/checked.hpp"
#include "sys/fd.hpp"
#include "sys/manifest.hpp"
#include "sys/process.hpp"

namespace ipcb::transports::iceoryx {

namespace {

constexpr char kReadyLine[] = "RouDi is ready for clients";
constexpr auto kReadyTimeout = std::chrono::seconds(20);
constexpr std::size_t kQueueBudgetBytes = 4 << 20;
constexpr std::size_t kMaxQueueDepth = 256;  // iceoryx's MAX_CAPACITY
// Chunks beyond the queues: a loan per publisher, one held per consumer.
constexpr std::size_t kSlackChunks = kMaxConsumers + 2;

// This process's RouDi. `pid` is read by stop_roudi() without the lock
// (it may run while a start holds it).
struct Roudi {
  std::mutex mu;
  std::atomic<pid_t> pid{0};
  std::string dir;   // the run directory, absolute
  std::string name;  // its last component
  struct File {
    std::string path;
    dev_t dev;
    ino_t ino;
  };
  std::vector<File> files;  // fixed names it made, once it was ready
  sys::Fd stop_pipe;        // write end: ends the keeper thread
  std::thread keeper;
  bool atexit_done = false;
};

Roudi& roudi() {
  static Roudi* r = new Roudi;  // never destroyed: stop_roudi() runs at exit
  return *r;
}

std::string group_name() {
  std::vector<char> buf(4096);
  group g{};
  group* out = nullptr;
  if (::getgrgid_r(::getegid(), &g, buf.data(), buf.size(), &out) == 0 &&
      out != nullptr)
    return out->gr_name;
  return std::to_string(::getegid());
}

std::string hex_id() {
  unsigned char bytes[8];
  std::size_t got = 0;
  while (got < sizeof bytes) {
    got += static_cast<std::size_t>(sys::checked("getrandom", "roudi dir", [&] {
      return ::getrandom(bytes + got, sizeof bytes - got, 0);
    }));
  }
  char hex[17];
  for (int i = 0; i < 8; ++i) std::snprintf(hex + 2 * i, 3, "%02x", bytes[i]);
  return hex;
}

// Why the fixed name `path` may not be used now, or "" when it is absent.
std::string taken(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0)
    return errno == ENOENT ? "" : path + ": " + std::strerror(errno);
  std::string what = path + " exists";
  if (S_ISLNK(st.st_mode)) {
    what += " as a symbolic link";
  } else if (st.st_uid != ::geteuid()) {
    what += " and belongs to uid " + std::to_string(st.st_uid);
  }
  return what +
         ": another iceoryx RouDi runs on this machine or left it behind, and "
         "iceoryx 2.0 allows one RouDi per machine; stop that RouDi (or, if "
         "no iox-roudi runs, remove the file) to run iceoryx";
}

void write_file_exclusive(const std::string& path, const std::string& text) {
  sys::Fd fd(sys::create_exclusive("open", path, [&] {
    return ::open(path.c_str(),
                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  }));
  sys::write_exact(fd.get(), reinterpret_cast<const std::byte*>(text.data()),
                   text.size(), path);
}

std::string config_text() {
  std::string t = "[general]\nversion = 1\n\n[[segment]]\n";
  for (const auto& p : mempool_plan()) {
    t += "\n[[segment.mempool]]\nsize = " + std::to_string(p.chunk_bytes) +
         "\ncount = " + std::to_string(p.count) + "\n";
  }
  return t;
}

// RouDi's error: its first fatal or error line, else its last line.
std::string roudi_error(const std::string& log) {
  const std::string text = sys::read_text_file(log);
  std::string last;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (line.find("Fatal") != std::string::npos ||
        line.find("Error") != std::string::npos)
      return line;
    if (!line.empty()) last = line;
    start = end + 1;
  }
  return last.empty() ? "(no output)" : last;
}

// The keeper thread: forks and execs RouDi (so that PR_SET_PDEATHSIG
// follows this thread, which lives as long as RouDi), then waits for
// stop_roudi().
void keeper(const std::string& config, int log_fd, int stop_fd,
            std::promise<pid_t>& started) {
  sigset_t all;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
  const pid_t parent = ::getpid();
  const char* argv[] = {"iox-roudi", "-c", config.c_str(), "-m", "on", nullptr};
  const pid_t pid = ::fork();
  if (pid == 0) {  // async-signal-safe calls only: the driver has threads
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    const int null = ::open("/dev/null", O_RDONLY);
    if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(log_fd, 1) < 0 ||
        ::dup2(log_fd, 2) < 0)
      ::_exit(127);
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
    ::execv(kRoudiPath, const_cast<char* const*>(argv));
    ::_exit(127);
  }
  started.set_value(pid < 0 ? -errno : pid);
  if (pid < 0) return;
  char byte;
  while (::read(stop_fd, &byte, 1) < 0 && errno == EINTR) {
  }
}

}  // namespace

std::vector<std::string> fixed_names() {
  return {"/tmp/roudi", "/tmp/roudi.lock", "/tmp/iox-unique-roudi.lock",
          "/dev/shm/iceoryx_mgmt", "/dev/shm/" + group_name()};
}

std::optional<std::string> roudi_unavailable() {
  if (::access(kRoudiPath, X_OK) != 0)
    return std::string(kRoudiPath) +
           " not found: install Debian's iceoryx package";
  if (roudi().pid.load() > 0) return std::nullopt;  // ours
  for (const auto& p : fixed_names()) {
    if (std::string why = taken(p); !why.empty()) return why;
  }
  return std::nullopt;
}

const std::vector<Mempool>& mempool_plan() {
  static const std::vector<Mempool> kPlan = [] {
    std::vector<Mempool> plan;
    std::size_t smallest = 1;
    for (std::size_t chunk : {128u, 1u << 10, 4u << 10, 16u << 10, 64u << 10,
                              256u << 10, 1u << 20}) {
      const std::size_t depth = std::clamp<std::size_t>(
          kQueueBudgetBytes / smallest, 4, kMaxQueueDepth);
      plan.push_back({chunk, 2 * (depth + kSlackChunks)});
      smallest = chunk + 1;
    }
    return plan;
  }();
  return kPlan;
}

std::size_t queue_depth(std::size_t bytes, std::size_t capacity_bytes) {
  bytes = std::max<std::size_t>(bytes, 1);
  std::size_t pool_depth = 1;
  for (const auto& p : mempool_plan()) {
    if (bytes <= p.chunk_bytes) {
      pool_depth = p.count / 2 - kSlackChunks;
      break;
    }
  }
  const std::size_t want =
      capacity_bytes > 0
          ? std::clamp<std::size_t>(capacity_bytes / bytes, 1, kMaxQueueDepth)
          : std::clamp<std::size_t>(kQueueBudgetBytes / bytes, 4,
                                    kMaxQueueDepth);
  return std::min(want, pool_depth);
}

std::string roudi_dir_name() {
  std::lock_guard lock(roudi().mu);
  return roudi().name;
}

namespace {

void make_run_dir(Roudi& r) {
  r.name = "ipcb_" + std::to_string(::getpid()) + "_" + hex_id();
  r.dir = "/tmp/" + r.name;
  sys::checked("mkdir", r.dir, [&] { return ::mkdir(r.dir.c_str(), 0700); });
  sys::Fd fd(sys::checked("open", r.dir, [&] {
    return ::open(r.dir.c_str(),
                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  }));
  sys::checked("fchmod", r.dir, [&] { return ::fchmod(fd.get(), 0700); });
}

// Waits until RouDi says it is ready; throws with its error line when it
// exits first or stays silent.
void await_ready(Roudi& r, pid_t pid, const std::string& log) {
  const auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
  for (;;) {
    if (sys::read_text_file(log).find(kReadyLine) != std::string::npos) return;
    int st = 0;
    if (::waitpid(pid, &st, WNOHANG) == pid) {
      r.pid = 0;
      throw std::runtime_error(
          "iox-roudi exited (" +
          std::string(WIFEXITED(st) ? "status " : "signal ") +
          std::to_string(WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st)) +
          "): " + roudi_error(log) + " (log: " + log + ")");
    }
    if (sys::cancelled()) sys::throw_cancelled("iox-roudi start", log);
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("iox-roudi did not get ready within 20 s: " +
                               roudi_error(log) + " (log: " + log + ")");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// Records the fixed names RouDi made, by identity, for stop_roudi() and
// clean-up.
void record_files(Roudi& r) {
  for (const auto& p : fixed_names()) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || S_ISLNK(st.st_mode) ||
        st.st_uid != ::geteuid())
      continue;
    r.files.push_back({p, st.st_dev, st.st_ino});
    sys::record_named_object(
        r.dir, "roudi-file",
        p + " " + std::to_string(st.st_dev) + " " + std::to_string(st.st_ino));
  }
}

void start(Roudi& r) {
  for (const auto& p : fixed_names()) {
    if (std::string why = taken(p); !why.empty())
      throw std::runtime_error("iceoryx: " + why);
  }
  make_run_dir(r);
  const std::string config = r.dir + "/roudi.toml";
  const std::string log = r.dir + "/roudi.log";
  write_file_exclusive(config, config_text());
  sys::Fd log_fd(sys::create_exclusive("open", log, [&] {
    return ::open(log.c_str(),
                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  }));
  int pipe_fds[2];
  sys::checked("pipe2", "roudi stop",
               [&] { return ::pipe2(pipe_fds, O_CLOEXEC); });
  sys::Fd stop_read(pipe_fds[0]);
  r.stop_pipe = sys::Fd(pipe_fds[1]);
  if (!r.atexit_done) {  // before the runtime exists: it deregisters first
    std::atexit(stop_roudi);
    r.atexit_done = true;
  }
  std::promise<pid_t> started;
  auto got = started.get_future();
  r.keeper = std::thread(
      [config, lfd = log_fd.get(), sfd = stop_read.release(),
       promise = std::move(started)]() mutable {  // outlives set_value()
        keeper(config, lfd, sfd, promise);
        ::close(sfd);
      });
  const pid_t pid = got.get();
  if (pid < 0) throw sys::SysError("fork", "iox-roudi", -pid);
  r.pid = pid;
  const auto id = sys::process_identity(pid);
  sys::record_named_object(
      r.dir, "roudi",
      std::to_string(pid) + " " + std::to_string(id ? id->start_time : 0));
  await_ready(r, pid, log);
  record_files(r);
}

// The run directory's entries (config, log, manifest, the iceoryx sockets
// and locks of the driver and peers: never directories), then itself.
void remove_run_dir(const std::string& dir) noexcept {
  const int fd =
      ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  if (DIR* d = ::fdopendir(fd)) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_type != DT_DIR) ::unlinkat(fd, e->d_name, 0);
    }
    ::closedir(d);  // closes fd
  } else {
    ::close(fd);
  }
  ::rmdir(dir.c_str());
}

}  // namespace

pid_t ensure_roudi() {
  Roudi& r = roudi();
  std::lock_guard lock(r.mu);
  if (r.pid.load() > 0) return r.pid.load();
  try {
    start(r);
  } catch (...) {
    stop_roudi();
    throw;
  }
  return r.pid.load();
}

void stop_roudi() noexcept {
  Roudi& r = roudi();
  const pid_t pid = r.pid.exchange(0);
  if (pid > 0) {
    ::kill(pid, SIGKILL);
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
  }
  for (const auto& f : r.files) {
    struct stat st {};
    if (::lstat(f.path.c_str(), &st) == 0 && st.st_dev == f.dev &&
        st.st_ino == f.ino && st.st_uid == ::geteuid() && !S_ISLNK(st.st_mode))
      ::unlink(f.path.c_str());
  }
  r.files.clear();
  if (r.stop_pipe) {
    char byte = 0;
    (void)!::write(r.stop_pipe.get(), &byte, 1);
    r.stop_pipe.reset();
  }
  if (r.keeper.joinable()) {
    if (r.keeper.get_id() == std::this_thread::get_id())
      r.keeper.detach();
    else
      r.keeper.join();
  }
  if (!r.dir.empty()) {
    remove_run_dir(r.dir);
    r.dir.clear();
  }
}

}  // namespace ipcb::transports::iceoryx
