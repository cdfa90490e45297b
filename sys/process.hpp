// Identity of a process by pid, from /proc: enough to tell that a pid still
// names the process recorded earlier (pids are reused).
//
// Contract. Both return "" when the process is gone or /proc cannot be
// read; neither throws nor allocates beyond the returned string.
#pragma once

#include <sys/types.h>

#include <string>

namespace ipcb::sys {

// Field 22 of /proc/<pid>/stat: the start time in clock ticks after boot.
std::string process_start_time(pid_t pid);
// The target of /proc/<pid>/exe: the executable's path.
std::string process_exe(pid_t pid);

}  // namespace ipcb::sys
