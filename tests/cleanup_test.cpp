// Stale IPC objects of dead runs are found and removed; those of live
// processes are kept. Clean-up runs as root on shared machines, so it removes
// only what this user's dead runs made: symbolic links, other users' entries,
// untrusted manifests and objects that are not the run's are refused with a
// reason (the attacker's side runs as `nobody`, the victim is root).
// Interrupting the driver keeps a valid, incomplete file.
#include "harness/cleanup.hpp"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <mqueue.h>
#include <pwd.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "harness/naming.hpp"
#include "sys/manifest.hpp"
#include "test_util.hpp"
#include "transports/registry.hpp"

namespace ipcb {
namespace {

int dead_pid() {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

// "ipcb_<pid>_<16 hex>" of a process that no longer exists.
std::string dead_run_id() {
  const std::string fresh = harness::unique_prefix();
  return "ipcb_" + std::to_string(dead_pid()) + fresh.substr(fresh.rfind('_'));
}

void touch(const std::string& path) {
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_EXCL, 0600);
  ASSERT_GE(fd, 0) << path;
  ::close(fd);
}

void write_file(const std::string& path, const std::string& text,
                mode_t mode = 0600) {
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_EXCL | O_NOFOLLOW, 0600);
  ASSERT_GE(fd, 0) << path;
  EXPECT_EQ(::write(fd, text.data(), text.size()),
            static_cast<ssize_t>(text.size()));
  EXPECT_EQ(::fchmod(fd, mode), 0);
  ::close(fd);
}

bool exists_nofollow(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

bool mq_exists(const std::string& name) {
  mqd_t q = ::mq_open(name.c_str(), O_RDONLY | O_NONBLOCK);
  if (q == -1) return errno != ENOENT;
  ::mq_close(q);
  return true;
}

bool sysv_exists(const std::string& kind, int id) {
  if (kind == "shm") {
    shmid_ds ds{};
    return ::shmctl(id, IPC_STAT, &ds) == 0;
  }
  if (kind == "msg") {
    msqid_ds ds{};
    return ::msgctl(id, IPC_STAT, &ds) == 0;
  }
  semid_ds ds{};
  return ::semctl(id, 0, IPC_STAT, &ds) == 0;
}

uid_t nobody_uid() {
  const passwd* pw = ::getpwnam("nobody");
  return pw ? pw->pw_uid : static_cast<uid_t>(-1);
}

std::string owned_by_nobody() {
  return "owned by uid " + std::to_string(nobody_uid());
}

// Runs `script` with /bin/sh as the unprivileged user nobody; its exit code.
int as_nobody(const std::string& script) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execlp("runuser", "runuser", "-u", "nobody", "--", "/bin/sh", "-c",
             script.c_str(), nullptr);
    ::_exit(127);
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

// Runs `fn` in a child process with nobody's uids and gids (for what no
// command-line tool does, such as creating a POSIX queue); true if fn did.
bool in_child_as_nobody(const std::function<bool()>& fn) {
  const passwd* pw = ::getpwnam("nobody");
  if (pw == nullptr) return false;
  const uid_t uid = pw->pw_uid;
  const gid_t gid = pw->pw_gid;
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setresgid(gid, gid, gid) != 0 ||
        ::setresuid(uid, uid, uid) != 0)
      ::_exit(2);
    ::_exit(fn() ? 0 : 1);
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

// Why another user's attacks on a root run cannot be staged here, or "".
std::string why_no_attacker() {
  if (::geteuid() != 0) return "needs root: the victim is a root run";
  if (nobody_uid() == static_cast<uid_t>(-1)) return "no user 'nobody'";
  if (as_nobody("true") != 0) return "`runuser -u nobody -- true` fails here";
  return "";
}

#define REQUIRE_ATTACKER()                                       \
  do {                                                           \
    if (const std::string why = why_no_attacker(); !why.empty()) \
      GTEST_SKIP() << why;                                       \
  } while (0)

// What a test planted or made as a victim: removed whatever the outcome
// (remove_all removes a symbolic link itself, never its target).
struct Planted {
  std::vector<std::string> paths;
  std::vector<std::pair<std::string, int>> sysv;  // kind, id
  std::vector<std::string> queues;
  Planted() = default;
  Planted(const Planted&) = delete;
  Planted& operator=(const Planted&) = delete;
  ~Planted() {
    for (auto it = paths.rbegin(); it != paths.rend(); ++it) {
      std::error_code ec;
      std::filesystem::remove_all(*it, ec);
    }
    for (const auto& [kind, id] : sysv) {
      if (kind == "shm") ::shmctl(id, IPC_RMID, nullptr);
      if (kind == "msg") ::msgctl(id, IPC_RMID, nullptr);
      if (kind == "sem") ::semctl(id, 0, IPC_RMID);
    }
    for (const auto& q : queues) ::mq_unlink(q.c_str());
  }
};

// Root's own objects that have nothing to do with ipcbench: a directory with
// files, an IPC_PRIVATE System V segment and message queue, a POSIX queue.
struct Victims {
  testing::ScratchDir scratch;
  std::string dir = scratch.path + "/victim";
  int shm = -1, msg = -1;
  std::string mq;
  Planted owned;

  Victims() {
    EXPECT_EQ(::mkdir(dir.c_str(), 0700), 0);
    for (const char* f : {"/a", "/b"}) {
      int fd = ::open((dir + f).c_str(), O_CREAT | O_WRONLY | O_EXCL, 0600);
      EXPECT_GE(fd, 0);
      ::close(fd);
    }
    shm = ::shmget(IPC_PRIVATE, 4096, IPC_CREAT | IPC_EXCL | 0600);
    msg = ::msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0600);
    EXPECT_GE(shm, 0);
    EXPECT_GE(msg, 0);
    owned.sysv = {{"shm", shm}, {"msg", msg}};
    const std::string p = harness::unique_prefix();
    mq = "/ipcbtest_victim" + p.substr(p.rfind('_'));
    mqd_t q = ::mq_open(mq.c_str(), O_CREAT | O_EXCL | O_RDONLY, 0600, nullptr);
    EXPECT_NE(q, -1) << mq;
    ::mq_close(q);
    owned.queues = {mq};
  }
  // A manifest naming them, in the old ("<kind> <id>") and the current
  // ("<kind> <id> <label>") formats.
  std::string listing() const {
    const std::string s = std::to_string(shm), m = std::to_string(msg);
    return "shm " + s + "\nmsg " + m + "\nmq " + mq + "\nshm " + s +
           " shm\nmsg " + m + " a2b\n";
  }
  void expect_intact() const {
    EXPECT_TRUE(std::filesystem::exists(dir + "/a")) << "victim file removed";
    EXPECT_TRUE(std::filesystem::exists(dir + "/b")) << "victim file removed";
    EXPECT_TRUE(sysv_exists("shm", shm)) << "victim System V shm removed";
    EXPECT_TRUE(sysv_exists("msg", msg)) << "victim System V msg removed";
    EXPECT_TRUE(mq_exists(mq)) << "victim POSIX queue removed";
  }
};

// The line of `text` that starts with `start`, or "".
std::string line_starting(const std::string& text, const std::string& start) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(start, 0) == 0) return line;
  return "";
}

struct Refusal {
  std::string what;    // "refused <what>: ..."
  std::string reason;  // part of the reason
};

void expect_refusals(const std::string& out,
                     const std::vector<Refusal>& expected) {
  for (const auto& e : expected) {
    const std::string line = line_starting(out, "refused " + e.what + ": ");
    EXPECT_NE(line.find(e.reason), std::string::npos)
        << "expected \"refused " << e.what << ": ..." << e.reason
        << "...\" in:\n"
        << out;
  }
}

std::vector<std::string> short_run_args(const std::string& out) {
  return {"--transports=pipe",    "--sizes=64",
          "--scenarios=pingpong", "--benchmark_min_time=0.01",
          "--baselines=none",     "--out=" + out};
}

// Plants an attack (fresh names each call), runs `ipcbench --cleanup` and
// checks it left everything `intact` and printed each refusal with its
// reason; then plants again and checks the same of the clean-up at the
// start of a short benchmark run, which warns about refused entries.
void expect_refused_by_both(const std::function<std::vector<Refusal>()>& plant,
                            const std::function<void()>& intact) {
  {
    SCOPED_TRACE("ipcbench --cleanup");
    const auto expected = plant();
    if (::testing::Test::HasFatalFailure()) return;
    auto r = testing::run_ipcbench({"--cleanup"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    expect_refusals(r.out, expected);
    intact();
  }
  {
    SCOPED_TRACE("start-up of a benchmark run");
    plant();
    if (::testing::Test::HasFatalFailure()) return;
    testing::ScratchDir out;
    auto r = testing::run_ipcbench(short_run_args(out.path + "/r.json"));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const std::string warning =
        line_starting(r.err, "ipcbench: warning: refused to remove ");
    EXPECT_NE(warning.find("ipcbench --cleanup"), std::string::npos) << r.err;
    intact();
  }
}

// A root run directory /tmp/<id> (mode 0700) holding `manifest` (when not
// empty) with `manifest_mode`, and a file "keep".
std::string plant_root_run_dir(Planted& p, const std::string& manifest,
                               mode_t manifest_mode = 0600,
                               const std::string& id = dead_run_id()) {
  const std::string dir = "/tmp/" + id;
  p.paths.push_back(dir);
  EXPECT_EQ(::mkdir(dir.c_str(), 0700), 0) << dir;
  if (!manifest.empty())
    write_file(dir + "/ipc-objects", manifest, manifest_mode);
  write_file(dir + "/keep", "");
  return dir;
}

void expect_kept(const Planted& p, const std::string& file) {
  for (const auto& path : p.paths) {
    EXPECT_TRUE(std::filesystem::exists(path + "/" + file))
        << path + "/" + file << " removed";
  }
}

// What a run that died left: a process made a private directory and
// prepared the transports in it, then exited without tearing them down.
struct DeadRun {
  std::string prefix;
  std::string dir;
  std::vector<std::string> manifest;  // its lines
};

DeadRun make_dead_run(const std::vector<std::string>& transports) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    int status = 0;
    try {
      auto* names = new harness::IpcNames();  // never destroyed
      transports::Config cfg{64, transports::Wait::kBlock, names->dir(),
                             names->prefix()};
      for (const auto& name : transports) {
        auto* t = transports::create_transport(name, cfg).release();
        t->prepare();
      }
      const std::string& prefix = names->prefix();
      if (::write(fds[1], prefix.data(), prefix.size()) !=
          static_cast<ssize_t>(prefix.size()))
        status = 1;
    } catch (...) {
      status = 1;
    }
    ::_exit(status);
  }
  ::close(fds[1]);
  char buf[64] = {};
  ssize_t n = ::read(fds[0], buf, sizeof buf - 1);
  ::close(fds[0]);
  int st = 0;
  ::waitpid(pid, &st, 0);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "dead run failed";
  DeadRun run;
  if (n <= 0) return run;
  run.prefix.assign(buf, static_cast<std::size_t>(n));
  run.dir = "/tmp/" + run.prefix;
  std::istringstream in(testing::slurp(run.dir + "/ipc-objects"));
  for (std::string line; std::getline(in, line);) run.manifest.push_back(line);
  return run;
}

// Registers what a dead run left with `p`, so that the test removes it
// whatever happens.
void own(Planted& p, const DeadRun& run) {
  p.paths.push_back(run.dir);
  for (const auto& line : run.manifest) {
    std::istringstream in(line);
    std::string kind, name;
    in >> kind >> name;
    if (kind == "mq")
      p.queues.push_back(name);
    else
      p.sysv.emplace_back(kind, std::stoi(name));
  }
}

TEST(Cleanup, OwnerPidParsesOurNamesOnly) {
  EXPECT_EQ(harness::owner_pid("ipcb_1234_00ff-ring"), 1234);
  EXPECT_EQ(harness::owner_pid("sem.ipcb_77_abc"), 77);
  EXPECT_EQ(harness::owner_pid("ipcb_x_1"), -1);
  EXPECT_EQ(harness::owner_pid("ipcb_12"), -1);
  EXPECT_EQ(harness::owner_pid("other_1234_x"), -1);
}

TEST(Cleanup, RunIdFollowsTheNamingScheme) {
  EXPECT_EQ(harness::run_id_of("ipcb_12_0123456789abcdef"),
            "ipcb_12_0123456789abcdef");
  EXPECT_EQ(harness::run_id_of("ipcb_12_0123456789abcdef-ring"),
            "ipcb_12_0123456789abcdef");
  EXPECT_EQ(harness::run_id_of("sem.ipcb_12_0123456789abcdef-a2b"),
            "ipcb_12_0123456789abcdef");
  EXPECT_EQ(harness::run_id_of("ipcb_12_0123456789abcde"), "");
  EXPECT_EQ(harness::run_id_of("ipcb_12_0123456789ABCDEF"), "");
  EXPECT_EQ(harness::run_id_of("ipcb_12_0123456789abcdeg"), "");
  EXPECT_EQ(harness::run_id_of("ipcb__0123456789abcdef"), "");
}

TEST(Cleanup, SysvKeysAreNonZeroAndDifferPerRunAndLabel) {
  const std::string a = harness::unique_prefix(), b = harness::unique_prefix();
  EXPECT_NE(sys::sysv_key(a, "a2b"), IPC_PRIVATE);
  EXPECT_EQ(sys::sysv_key(a, "a2b"), sys::sysv_key(a, "a2b"));
  EXPECT_NE(sys::sysv_key(a, "a2b"), sys::sysv_key(a, "b2a"));
  EXPECT_NE(sys::sysv_key(a, "a2b"), sys::sysv_key(b, "a2b"));
}

TEST(Cleanup, TransportsRecordKeyedSystemVObjects) {
  Planted p;
  const DeadRun run = make_dead_run({"sysv_mq", "shm_sysv"});
  own(p, run);
  ASSERT_EQ(run.manifest.size(), 4u);
  std::map<std::string, std::string> kind_of;  // label -> kind
  for (const auto& line : run.manifest) {
    std::istringstream in(line);
    std::string kind, label, extra;
    int id = -1;
    ASSERT_TRUE(in >> kind >> id >> label) << line;
    EXPECT_FALSE(in >> extra) << line;
    kind_of[label] = kind;
    key_t key = 0;
    uid_t cuid = 0;
    if (kind == "msg") {
      msqid_ds ds{};
      ASSERT_EQ(::msgctl(id, IPC_STAT, &ds), 0) << line;
      key = ds.msg_perm.__key, cuid = ds.msg_perm.cuid;
    } else if (kind == "shm") {
      shmid_ds ds{};
      ASSERT_EQ(::shmctl(id, IPC_STAT, &ds), 0) << line;
      key = ds.shm_perm.__key, cuid = ds.shm_perm.cuid;
      EXPECT_EQ(ds.shm_cpid, harness::owner_pid(run.prefix));
    } else {
      semid_ds ds{};
      ASSERT_EQ(::semctl(id, 0, IPC_STAT, &ds), 0) << line;
      key = ds.sem_perm.__key, cuid = ds.sem_perm.cuid;
    }
    EXPECT_EQ(key, sys::sysv_key(run.prefix, label)) << line;
    EXPECT_EQ(cuid, ::geteuid()) << line;
  }
  EXPECT_EQ(
      kind_of,
      (std::map<std::string, std::string>{
          {"a2b", "msg"}, {"b2a", "msg"}, {"shm", "shm"}, {"sem", "sem"}}));
}

TEST(Cleanup, RemovesExactlyTheDeadRunsObjects) {
  Planted p;
  // A dead run: private dir with a FIFO and a manifest of System V objects
  // and POSIX queues, a POSIX shm object and a named semaphore.
  const DeadRun run =
      make_dead_run({"sysv_mq", "shm_sysv", "posix_mq", "fifo"});
  own(p, run);
  ASSERT_EQ(run.manifest.size(), 6u);
  const std::string dead = run.prefix;
  p.paths.push_back("/dev/shm/" + dead + "-shm");
  p.paths.push_back("/dev/shm/sem." + dead + "-a2b");
  touch("/dev/shm/" + dead + "-shm");
  touch("/dev/shm/sem." + dead + "-a2b");
  // A live run's objects.
  const std::string live =
      "ipcb_" + std::to_string(::getpid()) + "_fedcba9876543210";
  const std::string live_dir = "/tmp/" + live;
  p.paths.push_back(live_dir);
  p.paths.push_back("/dev/shm/" + live + "-shm");
  ASSERT_EQ(::mkdir(live_dir.c_str(), 0700), 0);
  touch("/dev/shm/" + live + "-shm");

  harness::CleanupReport r = harness::remove_stale_objects();
  EXPECT_TRUE(r.failed.empty()) << r.failed.front();
  for (const auto& refused : r.refused)
    EXPECT_EQ(refused.find(dead), std::string::npos) << refused;
  EXPECT_FALSE(exists_nofollow(run.dir));
  EXPECT_FALSE(exists_nofollow("/dev/shm/" + dead + "-shm"));
  EXPECT_FALSE(exists_nofollow("/dev/shm/sem." + dead + "-a2b"));
  for (const auto& [kind, id] : p.sysv)
    EXPECT_FALSE(sysv_exists(kind, id)) << kind << " " << id << " left";
  for (const auto& q : p.queues) EXPECT_FALSE(mq_exists(q)) << q << " left";
  EXPECT_GE(r.removed.size(), 9u);
  EXPECT_TRUE(std::filesystem::exists(live_dir));
  EXPECT_TRUE(std::filesystem::exists("/dev/shm/" + live + "-shm"));
}

TEST(Cleanup, CommandReportsWhatItRemoved) {
  const std::string dead =
      "ipcb_" + std::to_string(dead_pid()) + "_aaaaaaaaaaaaaaaa";
  Planted p;
  p.paths.push_back("/dev/shm/" + dead + "-ring");
  touch("/dev/shm/" + dead + "-ring");
  auto r = testing::run_ipcbench({"--cleanup"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("removed shared memory /dev/shm/" + dead + "-ring"),
            std::string::npos)
      << r.out;
  EXPECT_FALSE(std::filesystem::exists("/dev/shm/" + dead + "-ring"));
}

TEST(Cleanup, CommandRemovesADeadRunOfTheRealTransports) {
  Planted p;
  const DeadRun run = make_dead_run({"sysv_mq", "shm_sysv", "posix_mq"});
  own(p, run);
  ASSERT_EQ(run.manifest.size(), 6u);
  auto r = testing::run_ipcbench({"--cleanup"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const auto& [kind, id] : p.sysv) {
    EXPECT_FALSE(sysv_exists(kind, id)) << kind << " " << id << " left";
    EXPECT_NE(r.out.find("removed System V " + kind + " id " +
                         std::to_string(id) + "\n"),
              std::string::npos)
        << r.out;
  }
  for (const auto& q : p.queues) {
    EXPECT_FALSE(mq_exists(q)) << q << " left";
    EXPECT_NE(r.out.find("removed POSIX queue " + q + "\n"), std::string::npos)
        << r.out;
  }
  EXPECT_FALSE(exists_nofollow(run.dir));
  EXPECT_NE(r.out.find("removed directory " + run.dir + "\n"),
            std::string::npos)
      << r.out;
  std::istringstream out(r.out);
  for (std::string line; std::getline(out, line);)
    EXPECT_FALSE(line.rfind("refused", 0) == 0 &&
                 line.find(run.prefix) != std::string::npos)
        << line;
}

TEST(Cleanup, RunDirectoryIsNeverRecursedInto) {
  Planted p;
  const std::string dir = plant_root_run_dir(p, "");
  ASSERT_EQ(::mkdir((dir + "/sub").c_str(), 0700), 0);
  touch(dir + "/sub/f");
  harness::CleanupReport r = harness::remove_stale_objects();
  EXPECT_TRUE(std::filesystem::exists(dir + "/sub/f"));
  expect_refusals(
      [&] {
        std::string all;
        for (const auto& s : r.refused) all += "refused " + s + "\n";
        return all;
      }(),
      {{"directory " + dir + "/sub", "a directory"},
       {"directory " + dir, "left in place"}});
}

TEST(Cleanup, HardLinkedDevShmFileIsRefused) {
  // A second name, like a dead run's, for a file that is not the run's.
  Planted p;
  const std::string fresh = harness::unique_prefix();
  const std::string victim =
      "/dev/shm/ipcbtest_victim" + fresh.substr(fresh.rfind('_'));
  const std::string link = "/dev/shm/" + dead_run_id() + "-shm";
  p.paths = {victim, link};
  touch(victim);
  ASSERT_EQ(::link(victim.c_str(), link.c_str()), 0);
  harness::CleanupReport r = harness::remove_stale_objects();
  EXPECT_TRUE(exists_nofollow(victim));
  EXPECT_TRUE(exists_nofollow(link));
  std::string all;
  for (const auto& refused : r.refused) all += "refused " + refused + "\n";
  expect_refusals(all, {{"shared memory " + link, "2 hard links"}});
}

TEST(CleanupTrust, SymlinkInTmpIsNeverFollowed) {
  REQUIRE_ATTACKER();
  Victims v;
  Planted p;
  expect_refused_by_both(
      [&] {
        const std::string link = "/tmp/" + dead_run_id();
        p.paths.push_back(link);
        EXPECT_EQ(as_nobody("ln -s " + v.dir + " " + link), 0);
        return std::vector<Refusal>{{"directory " + link, "symbolic link"}};
      },
      [&] { v.expect_intact(); });
  for (const auto& link : p.paths) EXPECT_TRUE(exists_nofollow(link));
}

TEST(CleanupTrust, AnotherUsersRunDirectoryAndManifestAreNotTrusted) {
  REQUIRE_ATTACKER();
  Victims v;
  Planted p;
  expect_refused_by_both(
      [&] {
        const std::string dir = "/tmp/" + dead_run_id();
        p.paths.push_back(dir);
        EXPECT_EQ(as_nobody("umask 077 && mkdir -m 0700 " + dir +
                            " && printf '%s' '" + v.listing() + "' > " + dir +
                            "/ipc-objects && touch " + dir + "/keep"),
                  0);
        return std::vector<Refusal>{{"directory " + dir, owned_by_nobody()}};
      },
      [&] {
        v.expect_intact();
        expect_kept(p, "keep");
      });
}

TEST(CleanupTrust, RunDirectoryThatOthersCanWriteIsNotTrusted) {
  REQUIRE_ATTACKER();
  Victims v;
  Planted p;
  expect_refused_by_both(
      [&] {
        const std::string dir = plant_root_run_dir(p, v.listing());
        EXPECT_EQ(::chmod(dir.c_str(), 0777), 0);
        return std::vector<Refusal>{{"directory " + dir, "mode 0777"}};
      },
      [&] {
        v.expect_intact();
        expect_kept(p, "keep");
      });
}

TEST(CleanupTrust, ManifestWritableByOthersIsNotTrusted) {
  REQUIRE_ATTACKER();
  Victims v;
  Planted p;
  expect_refused_by_both(
      [&] {
        const std::string dir = plant_root_run_dir(p, v.listing(), 0666);
        return std::vector<Refusal>{
            {"manifest " + dir + "/ipc-objects", "writable by group or others"},
            {"directory " + dir, "left in place"}};
      },
      [&] {
        v.expect_intact();
        expect_kept(p, "keep");
      });
}

TEST(CleanupTrust, ManifestThatIsASymlinkIsNotTrusted) {
  REQUIRE_ATTACKER();
  Victims v;
  Planted p;
  const std::string list = v.scratch.path + "/list";
  write_file(list, v.listing());
  expect_refused_by_both(
      [&] {
        const std::string dir = plant_root_run_dir(p, "");
        EXPECT_EQ(::symlink(list.c_str(), (dir + "/ipc-objects").c_str()), 0);
        return std::vector<Refusal>{
            {"manifest " + dir + "/ipc-objects", "symbolic link"}};
      },
      [&] {
        v.expect_intact();
        expect_kept(p, "keep");
        EXPECT_TRUE(std::filesystem::exists(list));
      });
}

TEST(CleanupTrust, ObjectsThatAreNotTheRunsAreRefused) {
  REQUIRE_ATTACKER();
  Victims v;
  Planted p;
  expect_refused_by_both(
      [&] {
        const std::string id = dead_run_id();
        // Keyed like this run's objects, but made by nobody, or by this
        // process instead of the run's.
        int foreign = -1, other_pid = -1;
        const key_t msg_key = sys::sysv_key(id, "b2a");
        EXPECT_TRUE(in_child_as_nobody([&] {
          return ::msgget(msg_key, IPC_CREAT | IPC_EXCL | 0600) >= 0;
        }));
        foreign = ::msgget(msg_key, 0);
        other_pid = ::shmget(sys::sysv_key(id, "shm"), 4096,
                             IPC_CREAT | IPC_EXCL | 0600);
        EXPECT_GE(foreign, 0);
        EXPECT_GE(other_pid, 0);
        p.sysv.emplace_back("msg", foreign);
        p.sysv.emplace_back("shm", other_pid);
        const std::string dir = "/tmp/" + id;
        const std::string m = dir + "/ipc-objects";
        p.paths.push_back(dir);
        EXPECT_EQ(::mkdir(dir.c_str(), 0700), 0);
        write_file(m, "shm " + std::to_string(v.shm) + " shm\nmsg " +
                          std::to_string(v.msg) + " a2b\nmq " + v.mq +
                          "\nmsg " + std::to_string(foreign) + " b2a\nshm " +
                          std::to_string(other_pid) + " shm\nshm " +
                          std::to_string(v.shm) + "\n");
        const auto in = " in " + m;
        return std::vector<Refusal>{
            {"System V shm id " + std::to_string(v.shm) + in, "key"},
            {"System V msg id " + std::to_string(v.msg) + in, "key"},
            {"POSIX queue " + v.mq + in, "not named"},
            {"System V msg id " + std::to_string(foreign) + in,
             "uid " + std::to_string(nobody_uid())},
            {"System V shm id " + std::to_string(other_pid) + in,
             "created by pid"},
            {"manifest " + m + " line 6", "no label"}};
      },
      [&] {
        v.expect_intact();
        for (const auto& [kind, id] : p.sysv)
          EXPECT_TRUE(sysv_exists(kind, id)) << kind << " " << id;
      });
}

TEST(CleanupTrust, ManifestQueueOfAnotherUserIsRefused) {
  REQUIRE_ATTACKER();
  Planted p;
  expect_refused_by_both(
      [&] {
        const std::string id = dead_run_id();
        const std::string q = "/" + id + "-a2b";
        p.queues.push_back(q);
        EXPECT_TRUE(in_child_as_nobody([&] {
          mqd_t fd =
              ::mq_open(q.c_str(), O_CREAT | O_EXCL | O_RDONLY, 0600, nullptr);
          return fd != -1;
        }));
        const std::string dir =
            plant_root_run_dir(p, "mq " + q + "\n", 0600, id);
        return std::vector<Refusal>{
            {"POSIX queue " + q + " in " + dir + "/ipc-objects",
             owned_by_nobody()}};
      },
      [&] {
        for (const auto& q : p.queues) EXPECT_TRUE(mq_exists(q)) << q;
      });
}

TEST(CleanupTrust, AnotherUsersDevShmFilesAreRefused) {
  REQUIRE_ATTACKER();
  Planted p;
  expect_refused_by_both(
      [&] {
        const std::string id = dead_run_id();
        const std::string shm = "/dev/shm/" + id + "-shm";
        const std::string sem = "/dev/shm/sem." + id + "-a2b";
        p.paths.push_back(shm);
        p.paths.push_back(sem);
        EXPECT_EQ(as_nobody("touch " + shm + " " + sem), 0);
        return std::vector<Refusal>{
            {"shared memory " + shm, owned_by_nobody()},
            {"shared memory " + sem, owned_by_nobody()}};
      },
      [&] {
        for (const auto& f : p.paths) EXPECT_TRUE(exists_nofollow(f)) << f;
      });
}

TEST(CleanupTrust, SymlinkInDevShmIsRefused) {
  REQUIRE_ATTACKER();
  Victims v;
  Planted p;
  expect_refused_by_both(
      [&] {
        const std::string link = "/dev/shm/" + dead_run_id() + "-shm";
        p.paths.push_back(link);
        EXPECT_EQ(as_nobody("ln -s " + v.dir + "/a " + link), 0);
        return std::vector<Refusal>{{"shared memory " + link, "symbolic link"}};
      },
      [&] {
        v.expect_intact();
        for (const auto& f : p.paths) EXPECT_TRUE(exists_nofollow(f)) << f;
      });
}

bool is_mqueue_mount(const std::string& dir) {
  constexpr long kMqueueMagic = 0x19800202;  // statfs() f_type of mqueue
  struct statfs fs {};
  return ::statfs(dir.c_str(), &fs) == 0 && fs.f_type == kMqueueMagic;
}

// A POSIX queue "/<dead run id>-a2b" made by nobody.
std::string plant_nobodys_queue(Planted& p) {
  const std::string q = "/" + dead_run_id() + "-a2b";
  p.queues.push_back(q);
  EXPECT_TRUE(in_child_as_nobody([&] {
    return ::mq_open(q.c_str(), O_CREAT | O_EXCL | O_RDONLY, 0600, nullptr) !=
           -1;
  }));
  return q;
}

TEST(CleanupTrust, AnotherUsersQueueInAnMqueueMountIsRefused) {
  REQUIRE_ATTACKER();
  // The queues of this IPC namespace, seen through a mount of our own.
  testing::ScratchDir scratch;
  const std::string mnt = scratch.path + "/mqueue";
  ASSERT_EQ(::mkdir(mnt.c_str(), 0755), 0);
  if (::mount("mqueue", mnt.c_str(), "mqueue", 0, nullptr) != 0)
    GTEST_SKIP() << "cannot mount an mqueue file system: "
                 << std::strerror(errno);
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mnt};
  Planted p;
  const std::string theirs = plant_nobodys_queue(p);
  const std::string ours = "/" + dead_run_id() + "-b2a";
  p.queues.push_back(ours);
  mqd_t q = ::mq_open(ours.c_str(), O_CREAT | O_EXCL | O_RDONLY, 0600, nullptr);
  ASSERT_NE(q, -1);
  ::mq_close(q);

  harness::CleanupDirs dirs;
  dirs.mqueue = mnt;
  harness::CleanupReport r = harness::remove_stale_objects(dirs);
  EXPECT_TRUE(mq_exists(theirs));
  EXPECT_FALSE(mq_exists(ours));
  EXPECT_NE(
      std::find(r.removed.begin(), r.removed.end(), "POSIX queue " + ours),
      r.removed.end());
  std::string all;
  for (const auto& s : r.refused) all += "refused " + s + "\n";
  expect_refusals(all, {{"POSIX queue " + theirs, owned_by_nobody()}});
}

TEST(CleanupTrust, AnotherUsersQueueInDevMqueueIsRefused) {
  REQUIRE_ATTACKER();
  if (!is_mqueue_mount("/dev/mqueue"))
    GTEST_SKIP() << "/dev/mqueue is not mounted (the library test with a "
                    "mount of its own covers the scan)";
  Planted p;
  expect_refused_by_both(
      [&] {
        const std::string q = plant_nobodys_queue(p);
        return std::vector<Refusal>{{"POSIX queue " + q, owned_by_nobody()}};
      },
      [&] {
        for (const auto& q : p.queues) EXPECT_TRUE(mq_exists(q)) << q;
      });
}

TEST(CleanupTrust, RemoveObjectsOfAppliesTheSameRulesOnAnyThread) {
  REQUIRE_ATTACKER();
  Victims v;
  Planted p;
  // This process's own run, and entries named like its runs by nobody.
  harness::IpcNames names;
  transports::Config cfg{64, transports::Wait::kBlock, names.dir(),
                         names.prefix()};
  std::vector<std::unique_ptr<transports::Transport>> ts;
  for (const char* name : {"sysv_mq", "shm_sysv", "posix_mq", "fifo"}) {
    ts.push_back(transports::create_transport(name, cfg));
    ts.back()->prepare();
  }
  std::vector<std::string> manifest;
  {
    std::istringstream in(testing::slurp(names.dir() + "/ipc-objects"));
    for (std::string line; std::getline(in, line);) manifest.push_back(line);
  }
  own(p, DeadRun{names.prefix(), names.dir(), manifest});
  const std::string mine = "ipcb_" + std::to_string(::getpid()) + "_";
  const std::string link = "/tmp/" + mine + "0123456789abcdef";
  const std::string shm = "/dev/shm/" + mine + "0123456789abcdef-shm";
  p.paths.push_back(link);
  p.paths.push_back(shm);
  ASSERT_EQ(as_nobody("ln -s " + v.dir + " " + link + " && touch " + shm), 0);

  harness::CleanupReport r;
  std::thread([&] { r = harness::remove_objects_of(::getpid()); }).join();
  for (auto& t : ts) t->teardown();
  ts.clear();  // a System V segment goes once no one has it attached
  EXPECT_TRUE(r.failed.empty()) << r.failed.front();
  EXPECT_FALSE(exists_nofollow(names.dir()));
  for (const auto& [kind, id] : p.sysv)
    EXPECT_FALSE(sysv_exists(kind, id)) << kind << " " << id << " left";
  for (const auto& q : p.queues) EXPECT_FALSE(mq_exists(q)) << q << " left";
  v.expect_intact();
  EXPECT_TRUE(exists_nofollow(link));
  EXPECT_TRUE(exists_nofollow(shm));
  std::string all;
  for (const auto& s : r.refused) all += "refused " + s + "\n";
  expect_refusals(all, {{"directory " + link, "symbolic link"},
                        {"shared memory " + shm, owned_by_nobody()}});
}

// Starts ipcbench, waits until its results file exists (the run has begun),
// sends `sig`, and returns the exit code.
int interrupt_run(int sig, const std::string& out) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execl(IPCBENCH_PATH, IPCBENCH_PATH,
            "--transports=pipe,fifo,unix_stream,tcp", "--sizes=64,4K,64K",
            ("--out=" + out).c_str(), nullptr);
    ::_exit(127);
  }
  for (int i = 0; i < 600 && !std::filesystem::exists(out); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ::kill(pid, sig);
  int st = 0;
  ::waitpid(pid, &st, 0);
  EXPECT_TRUE(
      testing::entries_with_prefix("/tmp", "ipcb_" + std::to_string(pid) + "_")
          .empty());
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

TEST(Interrupt, SigintKeepsAValidIncompleteResultsFile) {
  testing::ScratchDir dir;
  const std::string out = dir.path + "/results.json";
  EXPECT_EQ(interrupt_run(SIGINT, out), 130);
  auto doc = nlohmann::json::parse(testing::slurp(out));
  EXPECT_EQ(doc["ipcbench"]["complete"], false);
  EXPECT_EQ(doc["ipcbench"]["interrupted"], "SIGINT");
  EXPECT_TRUE(doc["benchmarks"].is_array());
}

TEST(Interrupt, SigtermExits143WithIncompleteResults) {
  testing::ScratchDir dir;
  const std::string out = dir.path + "/results.json";
  EXPECT_EQ(interrupt_run(SIGTERM, out), 143);
  auto doc = nlohmann::json::parse(testing::slurp(out));
  EXPECT_EQ(doc["ipcbench"]["interrupted"], "SIGTERM");
}

using testing::children_of;
using testing::spawn_ipcbench;

TEST(Faults, StoppedPeerTimesOutAndIsReported) {
  testing::ScratchDir dir;
  const std::string out = dir.path + "/results.json";
  // The peer stops itself with SIGSTOP at its 5th message: a stopped process
  // that only the timeout can deal with.
  pid_t driver = spawn_ipcbench(
      {"--transports=fifo,shm_sem", "--sizes=64", "--scenarios=stream",
       "--timeout=2", "--benchmark_min_time=0.01",
       "--inject-peer-fault=stop@run:5", "--baselines=none", "--out=" + out});
  int st = 0;
  ::waitpid(driver, &st, 0);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 1);
  auto doc = nlohmann::json::parse(testing::slurp(out));
  ASSERT_EQ(doc["ipcbench"]["failures"].size(), 2u);
  for (const auto& f : doc["ipcbench"]["failures"]) {
    std::string e = f["error"];
    EXPECT_NE(e.find("stopped answering"), std::string::npos) << e;
  }
  EXPECT_TRUE(testing::entries_with_prefix(
                  "/tmp", "ipcb_" + std::to_string(driver) + "_")
                  .empty());
  EXPECT_TRUE(testing::entries_with_prefix(
                  "/dev/shm", "ipcb_" + std::to_string(driver) + "_")
                  .empty());
}

TEST(Faults, KilledDriverLeavesAParseableFileAndCleanableObjects) {
  testing::ScratchDir dir;
  const std::string out = dir.path + "/results.json";
  pid_t driver =
      spawn_ipcbench({"--transports=pipe,fifo,unix_stream,tcp", "--sizes=64,4K",
                      "--scenarios=pingpong", "--out=" + out});
  // Wait until at least one benchmark is in the file (up to 60 s: a loaded
  // machine, a sanitizer build), then kill -9.
  for (int i = 0; i < 3000; ++i) {
    auto doc = nlohmann::json::parse(testing::slurp(out), nullptr, false);
    if (!doc.is_discarded() && doc["benchmarks"].size() >= 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::vector<pid_t> peers = children_of(driver);
  ::kill(driver, SIGKILL);
  ::waitpid(driver, nullptr, 0);
  auto doc = nlohmann::json::parse(testing::slurp(out));  // never torn
  EXPECT_EQ(doc["ipcbench"]["complete"], false);
  EXPECT_GE(doc["benchmarks"].size(), 1u);
  // Peers die with their driver (PR_SET_PDEATHSIG).
  for (pid_t p : peers) {
    for (int i = 0; i < 1500 && ::kill(p, 0) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_NE(::kill(p, 0), 0) << "peer " << p << " outlived its driver";
  }
  harness::remove_stale_objects();
  EXPECT_TRUE(testing::entries_with_prefix(
                  "/tmp", "ipcb_" + std::to_string(driver) + "_")
                  .empty());
}

}  // namespace
}  // namespace ipcb
