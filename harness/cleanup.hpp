// Finding and removing IPC objects left behind by ipcbench runs that died.
//
// Every object ipcbench creates carries the prefix "ipcb_<pid>_" (POSIX shm,
// named semaphores "sem.ipcb_...", Boost.Interprocess objects, POSIX queues,
// the private directory /tmp/ipcb_<pid>_<hex> holding FIFOs and socket
// files); System V objects and POSIX queues are also listed in the private
// directory's "ipc-objects" manifest. An object is stale when the process
// <pid> no longer exists; objects of a live process are left alone.
#pragma once

#include <string>
#include <vector>

namespace ipcb::harness {

struct CleanupDirs {
  std::string shm = "/dev/shm";
  std::string mqueue = "/dev/mqueue";  // scanned only if mounted
  std::string tmp = "/tmp";
};

struct CleanupReport {
  std::vector<std::string> removed;  // "what: name"
  std::vector<std::string> failed;   // "what: name: reason"
};

// The pid in an "ipcb_<pid>_..." name (after an optional "sem." prefix),
// or -1 when the name is not ours.
int owner_pid(const std::string& name);

// True when a process with that pid exists (or cannot be signalled by us).
bool process_alive(int pid);

CleanupReport remove_stale_objects(const CleanupDirs& dirs = {});

// The objects of this user's runs made by process `pid`, alive or not: the
// driver's last resort when it must end while a thread is stuck (the objects
// are unlinked; mappings still in use stay valid until exit).
CleanupReport remove_objects_of(int pid, const CleanupDirs& dirs = {});

}  // namespace ipcb::harness
