#include "harness/cleanup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <functional>
#include <thread>

#include "harness/naming.hpp"
#include "sys/fd.hpp"
#include "sys/manifest.hpp"
#include "sys/process.hpp"

namespace ipcb::harness {

namespace {

using sys::Fd;

constexpr char kManifest[] = "ipc-objects";
constexpr off_t kManifestMaxBytes = 64 * 1024;
constexpr std::size_t kRunIdHexDigits = 16;
// statfs() f_type of an mqueue file system (MQUEUE_MAGIC in the kernel).
constexpr long kMqueueMagic = 0x19800202;

const char kNotOurScheme[] =
    "name does not follow ipcbench's scheme (ipcb_<pid>_<16 hex digits>)";
const char kSymlink[] = "a symbolic link (never followed)";

// One clean-up pass: who we are, what we found, and /dev/mqueue when it is
// an mqueue mount (to check a queue's owner).
struct Sweep {
  CleanupReport& report;
  uid_t me;
  Fd mqueue;

  void removed(const std::string& what) { report.removed.push_back(what); }
  void refused(const std::string& what, const std::string& why) {
    report.refused.push_back(what + ": " + why);
  }
  void failed(const std::string& what, int err) {
    report.failed.push_back(what + ": " + std::strerror(err));
  }
};

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "0%o", static_cast<unsigned>(mode & 07777));
  return text;
}

std::string not_ours(const char* role, uid_t uid, uid_t me) {
  return std::string(role) + " by uid " + std::to_string(uid) +
         ", not by this user (uid " + std::to_string(me) + ")";
}

std::string cannot(const char* what, int err) {
  return std::string("cannot be ") + what + ": " + std::strerror(err);
}

Fd open_dir(const std::string& path) {
  return Fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

std::vector<std::string> entries(int dir_fd) {
  std::vector<std::string> names;
  const int fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return names;
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    ::close(fd);
    return names;
  }
  ::rewinddir(d);
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  ::closedir(d);
  return names;
}

// What to do with one entry or object after checking it.
enum class Verdict { kGone, kRefused, kRemove };

// Checks that the entry `name` of the directory `dir_fd` is a regular file
// of this user with no other hard link (never following a symbolic link).
Verdict check_own_file(int dir_fd, const std::string& name,
                       const std::string& what, Sweep& s) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return Verdict::kGone;
    s.refused(what, cannot("inspected", errno));
  } else if (S_ISLNK(st.st_mode)) {
    s.refused(what, kSymlink);
  } else if (!S_ISREG(st.st_mode)) {
    s.refused(what, "not a regular file");
  } else if (st.st_uid != s.me) {
    s.refused(what, not_ours("owned", st.st_uid, s.me));
  } else if (st.st_nlink != 1) {
    s.refused(what, "has " + std::to_string(st.st_nlink) + " hard links");
  } else {
    return Verdict::kRemove;
  }
  return Verdict::kRefused;
}

// The manifest of a trusted run directory: its lines, or why it is not
// trusted.
struct Manifest {
  std::string untrusted;  // "" when trusted (or absent)
  std::vector<std::string> lines;
};

Manifest read_manifest(int dir_fd, uid_t me) {
  struct stat st {};
  if (::fstatat(dir_fd, kManifest, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return {errno == ENOENT ? "" : cannot("inspected", errno), {}};
  if (S_ISLNK(st.st_mode)) return {kSymlink, {}};
  if (!S_ISREG(st.st_mode)) return {"not a regular file", {}};
  Fd fd(::openat(dir_fd, kManifest,
                 O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd || ::fstat(fd.get(), &st) != 0) return {cannot("read", errno), {}};
  if (!S_ISREG(st.st_mode)) return {"not a regular file", {}};
  if (st.st_uid != me) return {not_ours("owned", st.st_uid, me), {}};
  if ((st.st_mode & 022) != 0)
    return {"writable by group or others (mode " + octal_mode(st.st_mode) + ")",
            {}};
  if (st.st_size > kManifestMaxBytes) return {"larger than 64 KiB", {}};
  std::string text(static_cast<std::size_t>(st.st_size) + 1, '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return {cannot("read", errno), {}};
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got == text.size()) return {"larger than 64 KiB", {}};  // grew
  text.resize(got);
  Manifest m;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    m.lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return m;
}

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

bool all_of_chars(const std::string& s, const char* allowed) {
  return !s.empty() && s.find_first_not_of(allowed) == std::string::npos;
}

const char kDigits[] = "0123456789";
const char kLabelChars[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";

// The run a directory belongs to: its id (the directory's name) and pid.
struct Run {
  std::string id;
  int pid;
  std::string manifest;  // its path, for messages
};

// A System V object's identity, from IPC_STAT.
struct SysvIdentity {
  key_t key = 0;
  uid_t uid = 0, cuid = 0;
  pid_t cpid = -1;  // segments only
};

int stat_sysv(const std::string& kind, int id, SysvIdentity& out) {
  int r = -1;
  if (kind == "shm") {
    shmid_ds ds{};
    r = ::shmctl(id, IPC_STAT, &ds);
    out = {ds.shm_perm.__key, ds.shm_perm.uid, ds.shm_perm.cuid, ds.shm_cpid};
  } else if (kind == "sem") {
    semid_ds ds{};
    r = ::semctl(id, 0, IPC_STAT, &ds);
    out = {ds.sem_perm.__key, ds.sem_perm.uid, ds.sem_perm.cuid, -1};
  } else {
    msqid_ds ds{};
    r = ::msgctl(id, IPC_STAT, &ds);
    out = {ds.msg_perm.__key, ds.msg_perm.uid, ds.msg_perm.cuid, -1};
  }
  return r == 0 ? 0 : errno;  // `out` is meaningful only on success
}

int remove_sysv(const std::string& kind, int id) {
  int r = kind == "shm"   ? ::shmctl(id, IPC_RMID, nullptr)
          : kind == "sem" ? ::semctl(id, 0, IPC_RMID)
                          : ::msgctl(id, IPC_RMID, nullptr);
  return r == 0 ? 0 : errno;
}

// Removes the System V object `id` listed with `label` in the manifest of
// `run` if it is that run's. Returns true if it remains.
bool remove_listed_sysv(const std::string& kind, int id,
                        const std::string& label, const Run& run, Sweep& s) {
  const std::string object = "System V " + kind + " id " + std::to_string(id);
  const std::string what = object + " in " + run.manifest;
  SysvIdentity got;
  if (int err = stat_sysv(kind, id, got); err != 0) {
    if (err == EINVAL || err == EIDRM) return false;  // already gone
    s.refused(what, cannot("inspected", err));
    return true;
  }
  const key_t want = sys::sysv_key(run.id, label);
  if (got.key != want) {
    s.refused(what, "key " + sys::sysv_key_hex(got.key) +
                        " is not this run's key for \"" + label + "\" (" +
                        sys::sysv_key_hex(want) + ")");
  } else if (got.cuid != s.me) {
    s.refused(what, not_ours("created", got.cuid, s.me));
  } else if (got.uid != s.me) {
    s.refused(what, not_ours("owned", got.uid, s.me));
  } else if (kind == "shm" && got.cpid != run.pid) {
    s.refused(what, "created by pid " + std::to_string(got.cpid) +
                        ", not by the run's pid " + std::to_string(run.pid));
  } else if (int err = remove_sysv(kind, id);
             err == 0 || err == EINVAL || err == EIDRM) {
    if (err == 0) s.removed(object);
    return false;
  } else {
    s.failed(what, err);
  }
  return true;
}

// Checks who owns the POSIX queue `name`: through /dev/mqueue when it is
// mounted, else through a descriptor of the queue.
Verdict check_own_queue(const std::string& name, const std::string& what,
                        Sweep& s) {
  if (s.mqueue) return check_own_file(s.mqueue.get(), name.substr(1), what, s);
  const mqd_t q = ::mq_open(name.c_str(), O_RDONLY | O_NONBLOCK);
  if (q == -1) {
    if (errno == ENOENT) return Verdict::kGone;
    s.refused(what, cannot("opened", errno));
    return Verdict::kRefused;
  }
  struct stat st {};
  const int r = ::fstat(q, &st);
  const int err = errno;
  ::mq_close(q);
  if (r != 0) {
    s.refused(what, cannot("inspected", err));
    return Verdict::kRefused;
  }
  if (st.st_uid != s.me) {
    s.refused(what, not_ours("owned", st.st_uid, s.me));
    return Verdict::kRefused;
  }
  return Verdict::kRemove;
}

// Removes the POSIX queue `name` listed in the manifest of `run` if it is
// that run's. Returns true if it remains.
bool remove_listed_queue(const std::string& name, const Run& run, Sweep& s) {
  const std::string object = "POSIX queue " + name;
  const std::string what = object + " in " + run.manifest;
  const std::string start = "/" + run.id + "-";
  if (name.rfind(start, 0) != 0 || name.size() == start.size() ||
      name.size() > NAME_MAX ||
      !all_of_chars(name.substr(start.size()), kLabelChars)) {
    s.refused(what, "not named " + start + "<suffix>");
    return true;
  }
  switch (check_own_queue(name, what, s)) {
    case Verdict::kGone:
      return false;
    case Verdict::kRefused:
      return true;
    case Verdict::kRemove:
      break;
  }
  if (::mq_unlink(name.c_str()) == 0) {
    s.removed(object);
  } else if (errno != ENOENT) {
    s.failed(what, errno);
    return true;
  }
  return false;
}

// The daemon a run started (a line "roudi <pid> <start time>"): killed only
// if that pid still is the process recorded (same start time), runs as this
// user and runs RouDi's executable. Returns true if it still runs.
constexpr char kRoudiExe[] = "/usr/bin/iox-roudi";

// True once /proc no longer lists the process or lists it as a zombie.
bool roudi_dead(const std::string& pid) {
  const std::string stat = sys::read_text_file("/proc/" + pid + "/stat");
  const auto close = stat.rfind(')');
  return stat.empty() ||
         (close != std::string::npos && stat.compare(close, 3, ") Z") == 0);
}

bool stop_listed_roudi(const std::vector<std::string>& w,
                       const std::string& where, Sweep& s) {
  if (w.size() != 3 || !all_of_chars(w[1], kDigits) || w[1].size() > 9 ||
      !all_of_chars(w[2], kDigits)) {
    s.refused(where, "not \"roudi <pid> <start time>\"");
    return true;
  }
  const pid_t pid = std::stoi(w[1]);
  const std::string what = "RouDi process " + w[1];
  const auto id = sys::process_identity(pid);
  if (!id || std::to_string(id->start_time) != w[2]) return false;  // gone
  if (roudi_dead(w[1])) return false;  // a zombie: /proc has no exe for it
  struct stat st {};
  if (::stat(("/proc/" + w[1]).c_str(), &st) != 0) return false;
  if (st.st_uid != s.me) {
    s.refused(what, not_ours("run", st.st_uid, s.me));
    return true;
  }
  if (const std::string& exe = id->exe; exe != kRoudiExe) {
    s.refused(what, "runs " + (exe.empty() ? "?" : exe) + ", not " + kRoudiExe);
    return true;
  }
  if (::kill(pid, SIGKILL) != 0 && errno != ESRCH) {
    s.failed(what, errno);
    return true;
  }
  for (int i = 0; i < 400; ++i) {  // bounded
    if (roudi_dead(w[1])) {
      s.removed(what + " (killed)");
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  s.failed(what, ETIMEDOUT);
  return true;
}

// A fixed name that run's RouDi made ("roudi-file <path> <dev> <ino>"),
// removed only if it still is that very file: same device and inode, a
// socket or regular file of this user with one link, never a symbolic link.
bool remove_listed_roudi_file(const std::vector<std::string>& w,
                              const std::string& where, bool roudi_runs,
                              Sweep& s) {
  const std::string path = w.size() == 4 ? w[1] : "";
  const std::size_t slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "" : path.substr(0, slash);
  const std::string name =
      slash == std::string::npos ? "" : path.substr(slash + 1);
  if ((dir != "/tmp" && dir != "/dev/shm") ||
      !all_of_chars(name, kLabelChars) || !all_of_chars(w[2], kDigits) ||
      !all_of_chars(w[3], kDigits)) {
    s.refused(where,
              "not \"roudi-file </tmp or /dev/shm>/<name> <dev> <ino>\"");
    return true;
  }
  const std::string what = "RouDi's " + path;
  if (roudi_runs) {
    s.refused(what, "its RouDi still runs");
    return true;
  }
  Fd dir_fd = open_dir(dir);
  struct stat st {};
  if (!dir_fd ||
      ::fstatat(dir_fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return false;  // gone
  if (std::to_string(st.st_dev) != w[2] || std::to_string(st.st_ino) != w[3]) {
    s.refused(what,
              "not the file that run's RouDi made (another device or "
              "inode): left alone");
    return false;
  }
  if (S_ISLNK(st.st_mode) || !(S_ISREG(st.st_mode) || S_ISSOCK(st.st_mode)) ||
      st.st_uid != s.me || st.st_nlink != 1) {
    s.refused(what, "not a socket or regular file of this user with one link");
    return true;
  }
  if (::unlinkat(dir_fd.get(), name.c_str(), 0) == 0) {
    s.removed(what);
  } else if (errno != ENOENT) {
    s.failed(what, errno);
    return true;
  }
  return false;
}

// Ends the process `pid` listed in the manifest of `run` ("proc <pid>
// <start time> <exe>") if it is still that process: the same start time,
// owned by the euid, running the recorded executable. A pid now used by
// another process is never signalled. Returns true if it remains.
bool end_listed_process(const std::vector<std::string>& w, const Run& run,
                        Sweep& s) {
  const std::string object = "process " + w[1] + " (" + w[3] + ")";
  const std::string what = object + " in " + run.manifest;
  const pid_t pid = std::stoi(w[1]);
  const auto id = sys::process_identity(pid);
  if (!id || id->start_time != std::stoull(w[2])) return false;  // gone
  if (id->uid != s.me) {
    s.refused(what, not_ours("owned", id->uid, s.me));
    return true;
  }
  if (id->exe != w[3]) {
    // A zombie, or a process exiting, shows no executable: it is ending.
    if (id->exe.empty()) return false;
    s.refused(what, "runs " + id->exe + ", not the recorded " + w[3]);
    return true;
  }
  if (::kill(pid, SIGKILL) == 0 || errno == ESRCH) {
    s.removed(object);
    return false;
  }
  s.failed(what, errno);
  return true;
}

// Removes what one manifest line lists. Returns true if something remains.
bool remove_listed(const std::string& line, std::size_t number, const Run& run,
                   bool& roudi_runs, Sweep& s) {
  const auto w = words(line);
  if (w.empty()) return false;
  const std::string where =
      "manifest " + run.manifest + " line " + std::to_string(number);
  if (w[0] == "roudi") return roudi_runs = stop_listed_roudi(w, where, s);
  if (w[0] == "roudi-file")
    return remove_listed_roudi_file(w, where, roudi_runs, s);
  if (w[0] == "mq") {
    if (w.size() == 2) return remove_listed_queue(w[1], run, s);
    s.refused(where, "not \"mq /<name>\"");
    return true;
  }
  if (w[0] == "proc") {
    if (w.size() == 4 && all_of_chars(w[1], kDigits) && w[1].size() <= 9 &&
        all_of_chars(w[2], kDigits) && w[2].size() <= 19 && w[3][0] == '/')
      return end_listed_process(w, run, s);
    s.refused(where, "not \"proc <pid> <start time> /<executable>\"");
    return true;
  }
  if (w[0] != "shm" && w[0] != "sem" && w[0] != "msg") {
    s.refused(where, "unknown kind \"" + w[0] + "\"");
    return true;
  }
  if (w.size() == 2) {
    s.refused(where,
              "no label (written by an older ipcbench), so the object's key "
              "cannot be checked");
    return true;
  }
  if (w.size() != 3 || !all_of_chars(w[1], kDigits) || w[1].size() > 9 ||
      !all_of_chars(w[2], kLabelChars) || w[2].size() > 64) {
    s.refused(where, "not \"<shm|sem|msg> <id> <label>\"");
    return true;
  }
  return remove_listed_sysv(w[0], std::stoi(w[1]), w[2], run, s);
}

// Opens the run directory `name` of `tmp_fd` if it is trusted: a directory
// (never a link to one) owned by the euid with mode 0700. Else says why
// (nothing when it is gone) and returns no fd.
Fd open_trusted_dir(int tmp_fd, const std::string& name,
                    const std::string& what, Sweep& s) {
  struct stat st {};
  if (::fstatat(tmp_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno != ENOENT) s.refused(what, cannot("inspected", errno));
    return Fd();
  }
  if (S_ISLNK(st.st_mode)) {
    s.refused(what, kSymlink);
    return Fd();
  }
  if (!S_ISDIR(st.st_mode)) {
    s.refused(what, "not a directory");
    return Fd();
  }
  Fd dir(::openat(tmp_fd, name.c_str(),
                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) {
    if (errno == ELOOP || errno == ENOTDIR)
      s.refused(what, kSymlink);
    else if (errno != ENOENT)
      s.refused(what, cannot("opened", errno));
  } else if (::fstat(dir.get(), &st) != 0) {
    s.refused(what, cannot("inspected", errno));
  } else if (st.st_uid != s.me) {
    s.refused(what, not_ours("owned", st.st_uid, s.me));
  } else if ((st.st_mode & 07777) != 0700) {
    s.refused(what, "mode " + octal_mode(st.st_mode) +
                        ", not 0700 (others may have had access to it)");
  } else {
    return dir;
  }
  return Fd();
}

// Unlinks the entries of the trusted run directory `dir_fd` (`path`, the
// entry `name` of `tmp_fd`) that are not directories, then the directory.
void remove_entries_and_dir(int tmp_fd, const std::string& name, int dir_fd,
                            const std::string& path, Sweep& s) {
  const std::string what = "directory " + path;
  bool subdirs = false;
  for (const auto& e : unlink_plain_entries(dir_fd)) {
    if (e.error == EISDIR) {
      subdirs = true;
      s.refused("directory " + path + "/" + e.name,
                "a directory inside a run directory (clean-up does not "
                "recurse)");
    } else {
      s.failed(e.name == "." ? what : "file " + path + "/" + e.name, e.error);
    }
  }
  if (subdirs) {
    s.refused(what, "left in place: it holds a directory (see above)");
  } else if (::unlinkat(tmp_fd, name.c_str(), AT_REMOVEDIR) == 0) {
    s.removed(what);
  } else if (errno != ENOENT) {
    s.failed(what, errno);
  }
}

// The run directory `name` (a run id) of the directory `tmp_fd` (`tmp`):
// see the header for what is trusted and removed.
void remove_run_dir(int tmp_fd, const std::string& tmp, const std::string& name,
                    Sweep& s) {
  const std::string path = tmp + "/" + name;
  const std::string what = "directory " + path;
  Fd dir = open_trusted_dir(tmp_fd, name, what, s);
  if (!dir) return;
  const Run run{name, owner_pid(name), path + "/" + kManifest};
  const Manifest m = read_manifest(dir.get(), s.me);
  if (!m.untrusted.empty()) {
    s.refused("manifest " + run.manifest, m.untrusted);
    s.refused(what,
              "left in place with everything in it: its manifest is not "
              "trusted");
    return;
  }
  bool kept = false, roudi_runs = false;
  for (std::size_t i = 0; i < m.lines.size(); ++i)
    kept |= remove_listed(m.lines[i], i + 1, run, roudi_runs, s);
  if (kept) {
    s.refused(what,
              "left in place: not everything its manifest lists could be "
              "removed (see above)");
    return;
  }
  remove_entries_and_dir(tmp_fd, name, dir.get(), path, s);
}

using Wanted = std::function<bool(int pid)>;

void sweep_tmp(const std::string& tmp, const Wanted& wanted, Sweep& s) {
  Fd dir = open_dir(tmp);
  if (!dir) return;
  for (const auto& n : entries(dir.get())) {
    const int pid = owner_pid(n);
    if (pid <= 0 || !wanted(pid)) continue;
    if (run_id_of(n) != n) {
      s.refused("entry " + tmp + "/" + n, kNotOurScheme);
      continue;
    }
    remove_run_dir(dir.get(), tmp, n, s);
  }
}

// /dev/shm or /dev/mqueue: entries named after a run, each a file.
void sweep_files(int dir_fd, const std::string& what_prefix,
                 const Wanted& wanted, Sweep& s) {
  for (const auto& n : entries(dir_fd)) {
    const int pid = owner_pid(n);
    if (pid <= 0 || !wanted(pid)) continue;
    const std::string what = what_prefix + n;
    if (run_id_of(n).empty()) {
      s.refused(what, kNotOurScheme);
      continue;
    }
    if (check_own_file(dir_fd, n, what, s) != Verdict::kRemove) continue;
    if (::unlinkat(dir_fd, n.c_str(), 0) == 0) {
      s.removed(what);
    } else if (errno != ENOENT) {
      s.failed(what, errno);
    }
  }
}

Fd open_mqueue_mount(const std::string& path) {
  Fd dir = open_dir(path);
  struct statfs fs {};
  if (dir && ::fstatfs(dir.get(), &fs) == 0 && fs.f_type == kMqueueMagic)
    return dir;
  return Fd();
}

CleanupReport sweep(const CleanupDirs& dirs, const Wanted& wanted) {
  CleanupReport r;
  Sweep s{r, ::geteuid(), open_mqueue_mount(dirs.mqueue)};
  // Private directories first: their manifests name System V objects.
  sweep_tmp(dirs.tmp, wanted, s);
  if (Fd shm = open_dir(dirs.shm))
    sweep_files(shm.get(), "shared memory " + dirs.shm + "/", wanted, s);
  if (s.mqueue) sweep_files(s.mqueue.get(), "POSIX queue /", wanted, s);
  return r;
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

std::string run_id_of(const std::string& name) {
  const std::size_t from = name.rfind("sem.", 0) == 0 ? 4 : 0;
  if (owner_pid(name) <= 0) return "";
  const std::size_t hex = name.find('_', from + 5) + 1;
  if (name.size() < hex + kRunIdHexDigits) return "";
  for (std::size_t i = hex; i < hex + kRunIdHexDigits; ++i) {
    const char c = name[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return "";
  }
  return name.substr(from, hex + kRunIdHexDigits - from);
}

bool process_alive(int pid) {
  if (pid <= 0) return false;
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

CleanupReport remove_stale_objects(const CleanupDirs& dirs) {
  return sweep(dirs, [](int pid) { return !process_alive(pid); });
}

CleanupReport remove_objects_of(int pid, const CleanupDirs& dirs) {
  return sweep(dirs, [pid](int p) { return p == pid; });
}

}  // namespace ipcb::harness
