// Writing the results file safely where other users can write too: no
// symlink is followed, nothing but a regular file is ever replaced, modes are
// what the user expects, every run gets its own directory, and a full disk
// keeps the last snapshot while the suite goes on.
#include "results/results_file.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "test_util.hpp"

namespace ipcb {
namespace {

namespace fs = std::filesystem;
using testing::run_ipcbench;
using testing::ScratchDir;
using testing::slurp;

void write_file(const std::string& path, const std::string& text,
                mode_t mode = 0644) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(::write(fd, text.data(), text.size()),
            static_cast<ssize_t>(text.size()));
  ::close(fd);
  ::chmod(path.c_str(), mode);
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

bool am_root() { return ::geteuid() == 0; }

// Runs `command` through /bin/sh as the unprivileged user nobody.
int as_nobody(const std::string& command) {
  const std::string cmd = "runuser -u nobody -- sh -c '" + command + "'";
  return std::system(cmd.c_str());
}

TEST(ResultsFile, APlantedTemporaryLinkIsNeverFollowed) {
  ScratchDir dir;
  const std::string victim = dir.path + "/victim";
  const std::string out = dir.path + "/results.json";
  write_file(victim, "precious\n");
  // The old writer's temporary name, and the shape of today's.
  ASSERT_EQ(::symlink(victim.c_str(),
                      (out + ".tmp." + std::to_string(::getpid())).c_str()),
            0);
  results::write_atomically(out, "{}\n");
  EXPECT_EQ(slurp(victim), "precious\n");
  EXPECT_EQ(slurp(out), "{}\n");
  struct stat st {};
  ASSERT_EQ(::lstat(out.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
}

TEST(ResultsFile, ModesAreTheUsersNotTheWritersTemporaryOnes) {
  ScratchDir dir;
  const std::string fresh = dir.path + "/fresh.json";
  const mode_t mask = ::umask(027);
  results::write_atomically(fresh, "{}\n");
  ::umask(mask);
  EXPECT_EQ(mode_of(fresh), 0640u);  // 0666 & ~umask, as any new file
  const std::string kept = dir.path + "/kept.json";
  write_file(kept, "old\n", 0600);
  results::write_atomically(kept, "new\n");
  EXPECT_EQ(slurp(kept), "new\n");
  EXPECT_EQ(mode_of(kept), 0600u);  // an existing file keeps its mode
  // No temporary is left beside them.
  for (const auto& e : fs::directory_iterator(dir.path))
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos)
        << e.path();
}

TEST(ResultsFile, AnythingButARegularFileIsRefusedNotReplaced) {
  ScratchDir dir;
  const std::string fifo = dir.path + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string link = dir.path + "/link";
  write_file(dir.path + "/target", "kept\n");
  ASSERT_EQ(::symlink((dir.path + "/target").c_str(), link.c_str()), 0);
  for (const std::string& path :
       {fifo, link, dir.path, std::string("/dev/null")}) {
    EXPECT_THROW(results::check_target(path), std::runtime_error) << path;
    EXPECT_THROW(results::write_atomically(path, "{}\n"), std::runtime_error)
        << path;
  }
  struct stat st {};
  ASSERT_EQ(::lstat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  ASSERT_EQ(::lstat(link.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(slurp(dir.path + "/target"), "kept\n");
  EXPECT_NO_THROW(results::check_target(dir.path + "/new.json"));
  EXPECT_FALSE(fs::exists(dir.path + "/new.json"));  // checking creates nothing
}

TEST(ResultsFile, OutThatIsADeviceOrDirectoryIsOneLineExitTwo) {
  ScratchDir dir;
  for (const std::string& out : {std::string("/dev/null"), dir.path}) {
    auto r = run_ipcbench({"--transports=pipe", "--sizes=64",
                           "--scenarios=pingpong", "--out=" + out});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(testing::count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.err;
  }
  struct stat st {};
  ASSERT_EQ(::lstat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST(ResultsFile, BenchmarkOutIsWrittenLikeOursNeverThroughALink) {
  ScratchDir dir;
  const std::string victim = dir.path + "/victim";
  write_file(victim, "precious\n");
  const std::string link = dir.path + "/gb.json";
  ASSERT_EQ(::symlink(victim.c_str(), link.c_str()), 0);
  const std::vector<std::string> run = {
      "--transports=pipe",         "--sizes=64",
      "--scenarios=pingpong",      "--baselines=none",
      "--benchmark_min_time=0.01", "--out=" + dir.path + "/results.json"};
  auto with = [&](const std::string& gb_out) {
    auto args = run;
    args.push_back("--benchmark_out=" + gb_out);
    return run_ipcbench(args);
  };
  auto r = with(link);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("symbolic link"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(victim), "precious\n");
  // A plain path gets Google Benchmark's JSON of the run, mode as usual.
  const std::string plain = dir.path + "/gb-plain.json";
  r = with(plain);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = nlohmann::json::parse(slurp(plain));
  ASSERT_EQ(doc["benchmarks"].size(), 1u);
  EXPECT_EQ(doc["benchmarks"][0]["name"], "pingpong/pipe/64");
  EXPECT_FALSE(doc["benchmarks"][0].contains("ipcb_record_id"));
  EXPECT_EQ(
      mode_of(plain), 0666u & ~[] {
        const mode_t m = ::umask(0);
        ::umask(m);
        return m;
      }());
}

TEST(ResultsFile, RunDirectoriesOfTheSameSecondAreDistinct) {
  ScratchDir dir;
  std::set<std::string> made;
  for (int i = 0; i < 3; ++i)
    made.insert(results::make_run_directory(dir.path + "/results"));
  EXPECT_EQ(made.size(), 3u);
  for (const auto& d : made) EXPECT_TRUE(fs::is_directory(d)) << d;
}

// Starts ipcbench in `cwd` without waiting for it.
pid_t spawn_in(const std::string& cwd, const std::vector<std::string>& args,
               const std::string& log) {
  return testing::spawn_ipcbench(args, log, cwd);
}

int wait_exit(pid_t pid) {
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

TEST(ResultsFile, RunsStartedTogetherWithTheDefaultOutKeepTheirOwnResults) {
  ScratchDir dir;
  std::vector<pid_t> runs;
  for (int i = 0; i < 3; ++i)
    runs.push_back(
        spawn_in(dir.path,
                 {"--transports=pipe", "--sizes=64", "--scenarios=pingpong",
                  "--baselines=none", "--benchmark_min_time=0.01"},
                 dir.path + "/log" + std::to_string(i)));
  for (pid_t p : runs) EXPECT_EQ(wait_exit(p), 0);
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir.path + "/results")) {
    auto doc = nlohmann::json::parse(slurp(e.path() / "results.json"));
    EXPECT_EQ(doc["ipcbench"]["complete"], true) << e.path();
    ++files;
  }
  EXPECT_EQ(files, 3);
}

int dead_pid() {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

TEST(ResultsFile, TemporariesOfKilledWritersAreRemovedOnlyIfOurs) {
  ScratchDir dir;
  const std::string run = dir.path + "/results/20260101T000000Z";
  fs::create_directories(run);
  const std::string dead = std::to_string(dead_pid());
  const std::string ours = run + "/results.json.tmp." + dead + ".0badcafe";
  const std::string old_style = run + "/results.json.tmp." + dead;
  const std::string live =
      run + "/results.json.tmp." + std::to_string(::getpid()) + ".01234567";
  const std::string unrelated = run + "/notes.tmp." + dead;
  const std::string side =
      run + "/distributions.json.gz.tmp." + dead + ".0badcafe";
  for (const auto& p : {ours, old_style, live, unrelated, side})
    write_file(p, "x");
  std::string theirs;
  if (am_root()) {
    theirs = run + "/results.json.tmp." + dead + ".deadbeef";
    write_file(theirs, "x");
    ASSERT_EQ(::chown(theirs.c_str(), 65534, 65534), 0);
  }
  pid_t p = spawn_in(dir.path, {"--cleanup"}, dir.path + "/log");
  EXPECT_EQ(wait_exit(p), 0) << slurp(dir.path + "/log");
  const std::string log = slurp(dir.path + "/log");
  EXPECT_FALSE(fs::exists(ours)) << log;
  EXPECT_FALSE(fs::exists(old_style)) << log;
  EXPECT_FALSE(fs::exists(side)) << log;
  EXPECT_NE(log.find("removed results temporary"), std::string::npos) << log;
  EXPECT_TRUE(fs::exists(live));       // its writer is running
  EXPECT_TRUE(fs::exists(unrelated));  // not a results temporary
  if (!theirs.empty()) {
    EXPECT_TRUE(fs::exists(theirs));
    EXPECT_NE(
        log.find("refused results temporary " +
                 theirs.substr(dir.path.size() + 1) + ": owned by uid 65534"),
        std::string::npos)
        << log;
  }
}

TEST(ResultsFile, AnotherUsersLinkInASharedDirectoryCannotRedirectTheWrite) {
  if (!am_root() || std::system("command -v runuser >/dev/null") != 0)
    GTEST_SKIP() << "needs root and runuser to act as another user";
  ScratchDir dir;
  const std::string shared = dir.path + "/shared";
  ASSERT_EQ(::mkdir(shared.c_str(), 0777), 0);
  ASSERT_EQ(::chmod(shared.c_str(), 01777), 0);  // like /tmp
  ASSERT_EQ(::chmod(dir.path.c_str(), 0755), 0);
  const std::string victim = dir.path + "/victim";
  write_file(victim, "root's file\n", 0644);
  const std::string out = shared + "/results.json";
  // The driver is forked but held before exec, so the attacker can plant a
  // link under the exact temporary name the old writer used for its pid.
  int hold[2];
  ASSERT_EQ(::pipe(hold), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(hold[1]);
    char c;
    if (::read(hold[0], &c, 1) != 1) ::_exit(126);
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execl(IPCBENCH_PATH, IPCBENCH_PATH, "--transports=pipe", "--sizes=64",
            "--scenarios=pingpong", "--baselines=none",
            "--benchmark_min_time=0.01", ("--out=" + out).c_str(), nullptr);
    ::_exit(127);
  }
  ::close(hold[0]);
  EXPECT_EQ(
      as_nobody("ln -s " + victim + " " + out + ".tmp." + std::to_string(pid)),
      0);
  ASSERT_EQ(::write(hold[1], "g", 1), 1);
  ::close(hold[1]);
  EXPECT_EQ(wait_exit(pid), 0);
  EXPECT_EQ(slurp(victim), "root's file\n");
  struct stat st {};
  ASSERT_EQ(::lstat(out.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_uid, 0u);
  auto doc = nlohmann::json::parse(slurp(out));
  EXPECT_EQ(doc["ipcbench"]["complete"], true);
}

// A small tmpfs of our own for --out, so that the disk can fill up; removed
// (lazily unmounted) however the test ends.
struct SmallDisk {
  std::string path;
  bool mounted = false;
  explicit SmallDisk(const std::string& at, const char* size) : path(at) {
    fs::create_directories(path);
    const std::string opts = std::string("size=") + size + ",mode=0755";
    mounted = ::mount("tmpfs", path.c_str(), "tmpfs", 0, opts.c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted) ::umount2(path.c_str(), MNT_DETACH);
  }
};

// Fills the filesystem of `dir` with one file; returns its path.
std::string fill(const std::string& dir) {
  const std::string filler = dir + "/filler";
  int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char> block(4096, 'f');
  while (::write(fd, block.data(), block.size()) > 0) {
  }
  ::close(fd);
  return filler;
}

TEST(ResultsFile, AFullDiskKeepsMeasuringAndRetriesAfterTheNextBenchmark) {
  if (!am_root()) GTEST_SKIP() << "needs root to mount a small tmpfs";
  ScratchDir dir;
  SmallDisk disk(dir.path + "/disk", "256k");
  if (!disk.mounted) GTEST_SKIP() << "cannot mount a tmpfs here";
  const std::string out = disk.path + "/results.json";
  const std::string filler = fill(disk.path);
  const std::string log = dir.path + "/log";
  pid_t pid = spawn_in(dir.path,
                       {"--transports=pipe,fifo,unix_stream", "--sizes=64",
                        "--scenarios=pingpong", "--baselines=none",
                        "--benchmark_min_time=0.2", "--out=" + out},
                       log);
  // Once the driver has said the write failed, make room again.
  bool said = false;
  for (int i = 0; i < 3000 && !said; ++i) {
    said = slurp(log).find("could not write the results file") !=
           std::string::npos;
    if (!said) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(said) << slurp(log);
  fs::remove(filler);
  EXPECT_EQ(wait_exit(pid), 0) << slurp(log);
  const std::string text = slurp(log);
  EXPECT_NE(text.find(out), std::string::npos) << text;
  EXPECT_NE(text.find("No space left on device"), std::string::npos) << text;
  EXPECT_NE(text.find("is written again"), std::string::npos) << text;
  auto doc = nlohmann::json::parse(slurp(out));
  EXPECT_EQ(doc["ipcbench"]["complete"], true);
  EXPECT_EQ(doc["benchmarks"].size(), 3u);  // nothing was lost
}

TEST(ResultsFile, ADiskThatStaysFullKeepsTheLastSnapshotAndFails) {
  if (!am_root()) GTEST_SKIP() << "needs root to mount a small tmpfs";
  ScratchDir dir;
  SmallDisk disk(dir.path + "/disk", "32k");
  if (!disk.mounted) GTEST_SKIP() << "cannot mount a tmpfs here";
  const std::string out = disk.path + "/results.json";
  // 32 KiB holds the first snapshots of this run but not the last ones.
  const std::string log = dir.path + "/log";
  pid_t pid =
      spawn_in(dir.path,
               {"--transports=pipe,fifo,unix_stream,tcp", "--sizes=64,4K",
                "--scenarios=pingpong", "--baselines=none",
                "--benchmark_min_time=0.01", "--out=" + out},
               log);
  EXPECT_EQ(wait_exit(pid), 1);
  const std::string text = slurp(log);
  EXPECT_NE(text.find("could not write the results file"), std::string::npos)
      << text;
  EXPECT_NE(text.find("the results file is not up to date"), std::string::npos)
      << text;
  // Every benchmark still ran (the console shows them all)...
  for (const char* t : {"pipe", "fifo", "unix_stream", "tcp"})
    EXPECT_NE(text.find(std::string("pingpong/") + t + "/4096"),
              std::string::npos)
        << t;
  // ...and the file holds the last snapshot that fitted, whole.
  auto doc = nlohmann::json::parse(slurp(out));
  EXPECT_EQ(doc["ipcbench"]["complete"], false);
  EXPECT_GE(doc["benchmarks"].size(), 1u);
  EXPECT_LT(doc["benchmarks"].size(), 8u);
  for (const auto& e : fs::directory_iterator(disk.path)) {
    const std::string name = e.path().filename();
    EXPECT_TRUE(name == "results.json" || name == "distributions.json.gz")
        << "left: " << e.path();
  }
}

}  // namespace
}  // namespace ipcb

namespace ipcb {
namespace {

TEST(ResultsFile, NonFiniteFiguresAreLeftOutNotAParseFailure) {
  // Google Benchmark 1.7.1 writes the cv of an all-zero counter as -NaN.
  EXPECT_EQ(results::without_non_finite(
                R"({"a": NaN, "b": -NaN, "c": Infinity, "d": -Infinity,)"
                R"( "e": "NaN \"Infinity\"", "f": [1.5, NaN]})"),
            R"({"a": null, "b": null, "c": null, "d": null,)"
            R"( "e": "NaN \"Infinity\"", "f": [1.5, null]})");
  const auto doc = results::combine(
      R"({"context": {"x": "-NaN"}, "benchmarks": [{"name": "r_cv",)"
      R"( "missed_slots": -NaN, "msgs_per_s": 0.01}]})",
      {{"schema_version", 1}});
  EXPECT_EQ(doc["benchmarks"][0],
            (nlohmann::ordered_json{{"name", "r_cv"}, {"msgs_per_s", 0.01}}));
  EXPECT_EQ(doc["context"]["x"], "-NaN");
  EXPECT_EQ(doc["ipcbench"]["schema_version"], 1);
}

}  // namespace
}  // namespace ipcb
