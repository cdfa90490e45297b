// A /dev/shm (or /tmp) too small for a transport's shared memory fails that
// benchmark with a message saying how much is needed and available, instead
// of SIGBUS on the first touch of a page tmpfs cannot back; the suite goes on
// and nothing of the run is left behind. The real ipcbench runs in a private
// mount namespace whose /dev/shm and /tmp are 1 MiB tmpfs mounts, so it
// plants nothing outside and can run beside other tests. The helpers of
// sys/space.hpp are checked on their own first.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sys/fd.hpp"
#include "sys/space.hpp"
#include "test_util.hpp"

namespace ipcb {
namespace {

// Shared-memory transports whose region cannot fit in 1 MiB at these sizes,
// and the filesystem each one's message must name.
const std::vector<std::pair<std::string, std::string>> kTooBig = {
    {"shm_sem", "/dev/shm"},
    {"shm_mutex", "/dev/shm"},
    {"bipc_mq", "/dev/shm"},
    {"bipc_shm", "/dev/shm"},
    {"mmap_file", "/tmp"}};
const std::vector<std::string> kSizes = {"262144", "1048576"};

// The parts of "<object> needs N bytes in <fs>, M available; <remedy>".
struct NoSpace {
  std::string object, fs, remedy;
  std::uint64_t needed = 0, available = 0;
};

std::optional<NoSpace> parse_no_space(const std::string& e) {
  const auto needs = e.find(" needs ");
  const auto in = e.find(" bytes in ", needs);
  const auto comma = e.find(", ", in);
  const auto available = e.find(" available; ", comma);
  if (available == std::string::npos) return std::nullopt;
  const std::string n = e.substr(needs + 7, in - needs - 7);
  const std::string m = e.substr(comma + 2, available - comma - 2);
  for (const std::string& digits : {n, m}) {
    if (digits.empty() || digits.find_first_not_of("0123456789") != digits.npos)
      return std::nullopt;
  }
  return NoSpace{e.substr(0, needs), e.substr(in + 10, comma - in - 10),
                 e.substr(available + 12), std::stoull(n), std::stoull(m)};
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() &&
         s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

TEST(ShmSpace, ReservingAllocatesEveryBlockUpFront) {
  sys::Fd fd(::memfd_create("ipcbtest-space", MFD_CLOEXEC));
  ASSERT_TRUE(fd);
  constexpr std::size_t kBytes = 1 << 20;
  ASSERT_EQ(::ftruncate(fd.get(), kBytes), 0);
  struct stat st {};
  ASSERT_EQ(::fstat(fd.get(), &st), 0);
  EXPECT_EQ(st.st_blocks, 0) << "ftruncate made a sparse file";
  sys::reserve_space(fd.get(), kBytes, "test: memfd", sys::memfd_site());
  ASSERT_EQ(::fstat(fd.get(), &st), 0);
  EXPECT_GE(static_cast<std::size_t>(st.st_blocks) * 512, kBytes);
}

TEST(ShmSpace, TooLittleFreeSpaceNamesNeededAndAvailable) {
  const std::size_t huge = std::size_t{1} << 62;  // more than any /dev/shm
  try {
    sys::require_free_space(huge, "test: POSIX shm /x", sys::dev_shm_site());
    FAIL() << "no error for " << huge << " bytes";
  } catch (const std::runtime_error& e) {
    auto p = parse_no_space(e.what());
    ASSERT_TRUE(p) << e.what();
    EXPECT_EQ(p->object, "test: POSIX shm /x");
    EXPECT_EQ(p->needed, huge);
    EXPECT_EQ(p->fs, "/dev/shm");
    EXPECT_LT(p->available, huge);
    EXPECT_EQ(p->remedy.rfind("enlarge /dev/shm", 0), 0u) << e.what();
    EXPECT_TRUE(ends_with(p->remedy, "choose smaller --sizes")) << e.what();
  }
  // Space that memory, not a mount, bounds is not checked beforehand.
  EXPECT_NO_THROW(
      sys::require_free_space(huge, "test: memfd", sys::memfd_site()));
}

// A scratch directory that the small mounts do not hide.
struct OutsideDir {
  std::string path;
  OutsideDir() {
    char tmpl[] = "/var/tmp/ipcbtest_shm_space_XXXXXX";
    if (::mkdtemp(tmpl) != nullptr) path = tmpl;
  }
  ~OutsideDir() {
    if (!path.empty()) std::filesystem::remove_all(path);
  }
};

// Runs `sh -c script` in a new mount namespace; the exit status of sh.
int in_mount_namespace(const std::string& script,
                       const std::vector<std::string>& args) {
  std::string cmd =
      "unshare -m --propagation private sh -c '" + script + "' sh";
  for (const auto& a : args) cmd += " '" + a + "'";
  int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

TEST(ShmSpace, TooSmallTmpfsFailsThoseBenchmarksClearlyAndTheSuiteGoesOn) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs";
  if (in_mount_namespace("true", {}) != 0)
    GTEST_SKIP() << "unshare cannot make a mount namespace here";
  OutsideDir s;
  ASSERT_FALSE(s.path.empty());
  const std::string real = std::filesystem::canonical(s.path).string();
  ASSERT_NE(real.rfind("/tmp/", 0), 0u) << real;
  ASSERT_NE(real.rfind("/dev/shm/", 0), 0u) << real;

  // The build tree may itself be under /tmp (a clone there), which the
  // small mount hides: run a copy kept in the scratch directory.
  const std::string binary = s.path + "/ipcbench";
  std::filesystem::copy_file(IPCBENCH_PATH, binary);

  // $1: scratch directory; the rest: the ipcbench command. Exit 97: the
  // small mounts could not be made. ipcbench's status goes to "rc", what
  // it left in the small mounts to "left".
  const std::string script =
      "s=$1; shift; "
      "mount -t tmpfs -o size=1m,mode=1777 tmpfs /dev/shm && "
      "mount -t tmpfs -o size=1m,mode=1777 tmpfs /tmp || exit 97; "
      "\"$@\" >\"$s/out\" 2>\"$s/err\"; echo $? >\"$s/rc\"; "
      "find /dev/shm /tmp -mindepth 1 >\"$s/left\" 2>&1; exit 0";
  int st = in_mount_namespace(
      script,
      {s.path, binary,
       "--transports=shm_sem,shm_mutex,bipc_mq,bipc_shm,mmap_file,pipe",
       "--sizes=256K,1M", "--scenarios=pingpong", "--baselines=none",
       "--benchmark_min_time=0.01", "--out=" + s.path + "/results.json"});
  if (st == 97) GTEST_SKIP() << "could not mount a small tmpfs";
  ASSERT_EQ(st, 0);

  const std::string err = testing::slurp(s.path + "/err");
  // 1: some benchmarks failed; 128 + n: killed by signal n (SIGBUS: 135).
  ASSERT_EQ(std::stoi(testing::slurp(s.path + "/rc")), 1) << err;
  EXPECT_EQ(testing::slurp(s.path + "/left"), "") << "left in the small mounts";

  auto doc = nlohmann::json::parse(testing::slurp(s.path + "/results.json"));
  std::map<std::string, std::string> failed;
  for (const auto& f : doc["ipcbench"]["failures"])
    failed[f["name"].get<std::string>()] = f["error"].get<std::string>();
  for (const auto& [transport, fs] : kTooBig) {
    for (const auto& size : kSizes) {
      const std::string name = "pingpong/" + transport + "/" + size;
      ASSERT_TRUE(failed.count(name)) << name << " did not fail\n" << err;
      const std::string& e = failed[name];
      auto p = parse_no_space(e);
      ASSERT_TRUE(p) << name << ": " << e;
      EXPECT_EQ(p->object.rfind(transport + ": ", 0), 0u) << e;
      EXPECT_EQ(p->fs, fs) << e;
      EXPECT_GT(p->needed, p->available) << e;
      EXPECT_LE(p->available, 1u << 20) << e;
      EXPECT_TRUE(ends_with(p->remedy, "choose smaller --sizes")) << e;
    }
  }
  EXPECT_EQ(failed.size(), kTooBig.size() * kSizes.size()) << err;
  for (const auto& size : kSizes) {
    const std::string name = "pingpong/pipe/" + size;
    EXPECT_FALSE(failed.count(name)) << failed[name];
    bool measured = false;
    for (const auto& b : doc["ipcbench"]["benchmarks"])
      measured |= b["name"] == name && b.contains("latency");
    EXPECT_TRUE(measured) << name << " was not measured\n" << err;
  }
}

}  // namespace
}  // namespace ipcb
