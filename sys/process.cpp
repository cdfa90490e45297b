#include "sys/process.hpp"

#include <unistd.h>

#include <climits>

#include "sys/fd.hpp"

namespace ipcb::sys {

std::string process_start_time(pid_t pid) {
  const std::string stat =
      read_text_file("/proc/" + std::to_string(pid) + "/stat");
  // The command name (field 2) may hold spaces: count from its ')'.
  std::size_t i = stat.rfind(')');
  if (i == std::string::npos) return "";
  for (int field = 2; field < 22; ++field) {
    i = stat.find(' ', i + 1);
    if (i == std::string::npos) return "";
  }
  const std::size_t end = stat.find(' ', i + 1);
  return stat.substr(i + 1, end == std::string::npos ? end : end - i - 1);
}

std::string process_exe(pid_t pid) {
  const std::string link = "/proc/" + std::to_string(pid) + "/exe";
  char buf[PATH_MAX];
  const ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
}

}  // namespace ipcb::sys
