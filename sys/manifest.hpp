// The manifest of a run's IPC objects: what clean-up needs to find, check
// and remove the objects of a run that died.
//
// Contract. System V objects are created with a key derived from the run's
// name prefix and a label naming the object within the run (sysv_key; mode
// 0600, IPC_CREAT|IPC_EXCL, so an existing key is refused, never reused),
// and each is recorded in "<dir>/ipc-objects" (opened O_APPEND|O_NOFOLLOW,
// mode 0600) as one "<kind> <id> <label>" line ("shm", "sem" or "msg"), so
// that the objects of a run that died can be found, checked to be the run's
// (key, creator and owner) and removed. Recording throws SysError.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace ipcb::sys {

void record_sysv_object(const std::string& dir, const char* kind, int id,
                        const std::string& label);
// The same for POSIX message queues when /dev/mqueue may not be mounted:
// a "mq <name>" line.
void record_named_object(const std::string& dir, const char* kind,
                         const std::string& name);

// A process a run started for its own work (a broker): a
// "proc <pid> <start time> <executable>" line, so that clean-up of a run that
// died may end it, only while it is still that process (sys/process.hpp).
// The executable's path must hold no white space.
void record_process(const std::string& dir, int pid,
                    unsigned long long start_time, const std::string& exe);

// The System V key of the object `label` of the run whose names start with
// `prefix`: the 32-bit FNV-1a hash of "<prefix>/<label>", never IPC_PRIVATE.
// Stable across builds and machines (clean-up recomputes it to check that an
// object listed in a manifest is the run's).
key_t sysv_key(std::string_view prefix, std::string_view label);
// "0x1234abcd": a key as ipcs(1) shows it.
std::string sysv_key_hex(key_t key);

}  // namespace ipcb::sys
