#include "sys/threads.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>

namespace ipcb::sys {

namespace {

std::string task_file(int tid, const char* name) {
  return "/proc/self/task/" + std::to_string(tid) + "/" + name;
}

// The CPU clock of thread `tid` of this process: what glibc's
// pthread_getcpuclockid builds, from a kernel thread id instead.
clockid_t thread_clock(int tid) {
  constexpr clockid_t kSched = 2, kPerThread = 4;
  return static_cast<clockid_t>((~static_cast<unsigned>(tid) << 3) | kSched |
                                kPerThread);
}

}  // namespace

std::vector<int> threads_named(const std::string& prefix) {
  std::vector<int> out;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir("/proc/self/task"),
                                          ::closedir);
  if (!dir) return out;
  while (const dirent* e = ::readdir(dir.get())) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    const int tid = std::atoi(e->d_name);
    std::ifstream comm(task_file(tid, "comm"));
    std::string name;
    if (std::getline(comm, name) && name.rfind(prefix, 0) == 0)
      out.push_back(tid);
  }
  return out;
}

std::optional<ThreadUsage> thread_usage(int tid) {
  timespec ts{};
  if (::clock_gettime(thread_clock(tid), &ts) != 0) return std::nullopt;
  ThreadUsage u;
  u.cpu_ns = ts.tv_sec * 1000000000LL + ts.tv_nsec;
  std::ifstream status(task_file(tid, "status"));
  std::string key;
  while (status >> key) {
    if (key == "voluntary_ctxt_switches:") {
      status >> u.voluntary_switches;
    } else if (key == "nonvoluntary_ctxt_switches:") {
      status >> u.involuntary_switches;
    }
  }
  return u;
}

std::int64_t this_thread_cpu_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

std::int64_t this_thread_run_delay_ns() noexcept {
  // "<time on CPU> <time waiting on a run queue> <timeslices>", in ns.
  const int fd = ::open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[128];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  unsigned long long on_cpu = 0, waiting = 0;
  if (std::sscanf(buf, "%llu %llu", &on_cpu, &waiting) != 2) return -1;
  return static_cast<std::int64_t>(waiting);
}

}  // namespace ipcb::sys
