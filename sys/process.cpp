#include "sys/process.hpp"

#include <limits.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace ipcb::sys {

std::optional<ProcessIdentity> process_identity(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  const std::string base = "/proc/" + std::to_string(pid);
  std::ifstream in(base + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return std::nullopt;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so
  // the fields are counted from the last ')'; start time is field 22.
  const std::size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  for (int i = 3; i < 22 && (fields >> field); ++i) {
  }
  ProcessIdentity id;
  if (!(fields >> id.start_time)) return std::nullopt;
  struct stat st {};
  if (::stat(base.c_str(), &st) != 0) return std::nullopt;
  id.uid = st.st_uid;
  char exe[PATH_MAX];
  const ssize_t n = ::readlink((base + "/exe").c_str(), exe, sizeof exe - 1);
  if (n > 0) id.exe.assign(exe, static_cast<std::size_t>(n));
  return id;
}

std::optional<std::int64_t> process_cpu_ns(pid_t pid) {
  clockid_t clock{};
  timespec ts{};
  if (pid <= 0 || ::clock_getcpuclockid(pid, &clock) != 0 ||
      ::clock_gettime(clock, &ts) != 0)
    return std::nullopt;
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

}  // namespace ipcb::sys
