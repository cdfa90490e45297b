#include "harness/cleanup.hpp"

#include <dirent.h>
#include <mqueue.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "harness/naming.hpp"

namespace ipcb::harness {

namespace {

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
  }
  return names;
}

void note(CleanupReport& r, bool ok, const std::string& what) {
  if (ok) {
    r.removed.push_back(what);
  } else {
    r.failed.push_back(what + ": " + std::strerror(errno));
  }
}

// Removes one System V object listed in a dead run's manifest, after
// checking it still belongs to this user.
void remove_sysv(const std::string& kind, int id, CleanupReport& r) {
  const std::string what = "System V " + kind + " id " + std::to_string(id);
  const uid_t me = ::geteuid();
  if (kind == "shm") {
    shmid_ds ds{};
    if (::shmctl(id, IPC_STAT, &ds) != 0) return;  // already gone
    if (ds.shm_perm.uid != me) return;
    note(r, ::shmctl(id, IPC_RMID, nullptr) == 0, what);
  } else if (kind == "sem") {
    semid_ds ds{};
    if (::semctl(id, 0, IPC_STAT, &ds) != 0) return;
    if (ds.sem_perm.uid != me) return;
    note(r, ::semctl(id, 0, IPC_RMID) == 0, what);
  } else if (kind == "msg") {
    msqid_ds ds{};
    if (::msgctl(id, IPC_STAT, &ds) != 0) return;
    if (ds.msg_perm.uid != me) return;
    note(r, ::msgctl(id, IPC_RMID, nullptr) == 0, what);
  }
}

void remove_manifest_objects(const std::string& dir, CleanupReport& r) {
  std::ifstream in(dir + "/ipc-objects");
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);  // "<kind> <id> <label>" or "mq <name>"
    std::string kind, name;
    if (!(fields >> kind >> name)) continue;
    if (kind == "mq") {
      if (::mq_unlink(name.c_str()) == 0)
        r.removed.push_back("POSIX queue " + name);
    } else {
      try {
        remove_sysv(kind, std::stoi(name), r);
      } catch (const std::exception&) {
      }
    }
  }
}

}  // namespace

int owner_pid(const std::string& name) {
  std::string n = name.rfind("sem.", 0) == 0 ? name.substr(4) : name;
  if (n.rfind("ipcb_", 0) != 0) return -1;
  std::size_t i = 5, start = 5;
  while (i < n.size() && n[i] >= '0' && n[i] <= '9') ++i;
  if (i == start || i >= n.size() || n[i] != '_' || i - start > 9) return -1;
  return std::stoi(n.substr(start, i - start));
}

bool process_alive(int pid) {
  if (pid <= 0) return false;
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

namespace {

template <class Pred>
CleanupReport remove_matching(const CleanupDirs& dirs, Pred stale) {
  CleanupReport r;
  // Private directories first: their manifests name System V objects.
  for (const auto& n : list_dir(dirs.tmp)) {
    if (!stale(n)) continue;
    const std::string dir = dirs.tmp + "/" + n;
    remove_manifest_objects(dir, r);
    note(r, remove_private_dir(dir), "directory " + dir);
  }
  for (const auto& n : list_dir(dirs.shm)) {
    if (!stale(n)) continue;
    const std::string path = dirs.shm + "/" + n;
    note(r, ::unlink(path.c_str()) == 0, "shared memory " + path);
  }
  for (const auto& n : list_dir(dirs.mqueue)) {
    if (!stale(n)) continue;
    note(r, ::mq_unlink(("/" + n).c_str()) == 0, "POSIX queue /" + n);
  }
  return r;
}

}  // namespace

CleanupReport remove_stale_objects(const CleanupDirs& dirs) {
  return remove_matching(dirs, [](const std::string& n) {
    int pid = owner_pid(n);
    return pid > 0 && !process_alive(pid);
  });
}

CleanupReport remove_objects_of(int pid, const CleanupDirs& dirs) {
  return remove_matching(
      dirs, [pid](const std::string& n) { return owner_pid(n) == pid; });
}

}  // namespace ipcb::harness
