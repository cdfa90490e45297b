// Other processes of this machine, read from /proc: who a process is (so that
// a recorded pid is only ever signalled while it is still the same process)
// and how much CPU time it used.
//
// Contract. Nothing here throws: a process that is gone (or unreadable) reads
// as absent. The start time (field 22 of /proc/<pid>/stat, in clock ticks
// since boot) is set at fork and kept across exec, so pid + start time names
// one process for as long as the machine runs.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace ipcb::sys {

struct ProcessIdentity {
  std::uint64_t start_time = 0;  // clock ticks since boot
  uid_t uid = 0;                 // real uid (owner of /proc/<pid>)
  std::string exe;               // readlink /proc/<pid>/exe ("" if hidden)
};

std::optional<ProcessIdentity> process_identity(pid_t pid);

// User + system CPU time of the whole process `pid`, in ns, from its CPU
// clock (clock_getcpuclockid); nothing when it is gone.
std::optional<std::int64_t> process_cpu_ns(pid_t pid);

}  // namespace ipcb::sys
