// Finding and removing IPC objects left behind by ipcbench runs that died.
//
// Every object ipcbench creates carries its run id "ipcb_<pid>_<16 hex>"
// (POSIX shm, named semaphores "sem.ipcb_...", Boost.Interprocess objects,
// POSIX queues, the private directory /tmp/<run id> holding FIFOs and socket
// files); System V objects (keyed sys::sysv_key(run id, label)) and
// POSIX queues are also listed in the private directory's "ipc-objects"
// manifest. An object is stale when the process <pid> no longer exists;
// objects of a live process are left alone.
//
// Clean-up may run as root on a machine where anyone can plant entries named
// like a dead run's, so it removes only what this user's runs made and
// refuses, with the reason, everything else:
// - a symbolic link is never followed (nor removed), in /tmp, /dev/shm or
//   /dev/mqueue; every removal is relative to a directory fd it opened;
// - a run directory /tmp/<run id> is trusted only if it is a directory owned
//   by the effective uid with mode 0700; then its manifest is read, the
//   entries in it that are not directories are removed (no recursion), and
//   the directory itself, unless something in it or listed in its manifest
//   had to stay: then it is left in place, to be reported again;
// - the manifest is trusted only if it is a regular file in a trusted run
//   directory, owned by the euid and not writable by group or others; when
//   it is not, nothing it lists is touched and the directory stays;
// - a System V object it lists is removed only if its key is the run's key
//   for the listed label and its creator and owner are the euid (and, for a
//   segment, its creator pid is the run's pid); a POSIX queue only if its
//   name is "/<run id>-..." and it is owned by the euid;
// - a process it lists (a broker the run started: "proc <pid> <start time>
//   <exe>") is sent SIGKILL only if it is still that process: the same
//   start time (/proc/<pid>/stat), owned by the euid, running the recorded
//   executable; a pid since reused by another process is never signalled;
// - a /dev/shm or /dev/mqueue entry named after a run is removed only if it
//   is a regular file owned by the euid with no other hard link;
// - the RouDi a run started ("roudi <pid> <start time>") is SIGKILLed only
//   if that pid still has the recorded start time, runs as the euid and
//   runs /usr/bin/iox-roudi; the fixed names it made ("roudi-file <path>
//   <dev> <ino>", in /tmp or /dev/shm) are removed only once it is gone and
//   only if each is still the recorded file (device and inode), a socket or
//   regular file of the euid with one link, never a symbolic link.
#pragma once

#include <string>
#include <vector>

namespace ipcb::harness {

struct CleanupDirs {
  std::string shm = "/dev/shm";
  std::string mqueue = "/dev/mqueue";  // scanned only if an mqueue mount
  std::string tmp = "/tmp";
};

struct CleanupReport {
  std::vector<std::string> removed;  // "what"
  std::vector<std::string> refused;  // "what: reason"
  std::vector<std::string> failed;   // "what: reason"
};

// The pid in an "ipcb_<pid>_..." name (after an optional "sem." prefix),
// or -1 when the name is not ours.
int owner_pid(const std::string& name);

// The run id "ipcb_<pid>_<16 lowercase hex digits>" that starts `name`
// (after an optional "sem." prefix), or "" when the name does not follow
// ipcbench's naming scheme.
std::string run_id_of(const std::string& name);

// True when a process with that pid exists (or cannot be signalled by us).
bool process_alive(int pid);

CleanupReport remove_stale_objects(const CleanupDirs& dirs = {});

// The objects of this user's runs made by process `pid`, alive or not, under
// the same rules: the driver's last resort when it must end while a thread
// is stuck (the objects are unlinked; mappings still in use stay valid until
// exit). Takes no lock and prints nothing, so any thread may call it.
CleanupReport remove_objects_of(int pid, const CleanupDirs& dirs = {});

}  // namespace ipcb::harness
