// --capacity: every stream transport given the same bytes in flight per
// direction under `equal`, each as shipped under `default`, and both read
// back from the kernel and recorded per benchmark.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/options.hpp"
#include "bench/warnings.hpp"
#include "test_util.hpp"
#include "transports/mailbox.hpp"

namespace ipcb {
namespace {

using testing::count_lines;
using testing::run_ipcbench;
using testing::ScratchDir;

// ipcbench's records of one small stream run at 64 KiB.
nlohmann::json stream_records(const std::string& transports,
                              const std::vector<std::string>& extra) {
  ScratchDir dir;
  const std::string out = dir.path + "/results.json";
  std::vector<std::string> args = {"--transports=" + transports,
                                   "--wait=block",
                                   "--sizes=64K",
                                   "--scenarios=stream",
                                   "--baselines=none",
                                   "--benchmark_min_time=0.01",
                                   "--out=" + out};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = run_ipcbench(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto doc = testing::load_results(out);
  return doc["ipcbench"];
}

constexpr std::int64_t kEqual = 1 << 20;

TEST(Capacity, EqualGivesEveryStreamTransportTheSameBytesInFlight) {
  const std::string transports =
      "pipe,fifo,unix_stream,tcp,shm_ring,posix_mq,zmq_ipc,shm_sem";
  auto ib = stream_records(transports, {"--capacity=equal"});
  ASSERT_EQ(ib["benchmarks"].size(), 8u);
  std::map<std::string, std::int64_t> applied;
  for (const auto& rec : ib["benchmarks"]) {
    const std::string t = rec["transport"];
    ASSERT_TRUE(rec.contains("capacity")) << t;
    const auto& c = rec["capacity"];
    EXPECT_EQ(c["mode"], "equal") << t;
    EXPECT_EQ(c["asked_bytes"], kEqual) << t;
    ASSERT_TRUE(c["applied_bytes"].is_number_integer()) << t << ": " << c;
    EXPECT_FALSE(c.value("source", "").empty()) << t;
    const auto got = c["applied_bytes"].get<std::int64_t>();
    applied[t] = got;
    // One sweep point: the name does not carry the capacity.
    EXPECT_EQ(rec["name"].get<std::string>().find("capacity"),
              std::string::npos);
    if (got < kEqual) {
      // Only a kernel limit may stop it, and the record names it.
      EXPECT_FALSE(c.value("limit", "").empty()) << t << ": " << c;
      EXPECT_NE(c.value("sysctl", "").size() + c.value("limit", "").size(), 0u);
    } else {
      EXPECT_FALSE(c.contains("limit")) << t << ": " << c;
    }
  }
  EXPECT_EQ(applied.size(), 8u);
  // No kernel limit applies to the ring, the mailbox or ZeroMQ's HWM; a
  // pipe needs nothing beyond fs.pipe-max-size (1 MiB by default), and
  // sockets nothing beyond net.core.wmem_max/rmem_max or CAP_NET_ADMIN.
  for (const char* t : {"shm_ring", "shm_sem", "zmq_ipc"})
    EXPECT_EQ(applied[t], kEqual) << t;
  auto sysctl = [](const char* path) {
    return std::stoll(testing::slurp(path));
  };
  if (sysctl("/proc/sys/fs/pipe-max-size") >= kEqual) {
    EXPECT_EQ(applied["pipe"], kEqual);
    EXPECT_EQ(applied["fifo"], kEqual);
  }
  if (sysctl("/proc/sys/net/core/wmem_max") >= kEqual) {
    EXPECT_EQ(applied["unix_stream"], kEqual);
  }
  if (sysctl("/proc/sys/net/core/wmem_max") >= kEqual / 2 &&
      sysctl("/proc/sys/net/core/rmem_max") >= kEqual / 2) {
    EXPECT_EQ(applied["tcp"], kEqual);
  }
}

TEST(Capacity, DefaultRecordsWhatEachTransportShipsWithReadBack) {
  auto ib = stream_records("pipe,unix_stream,shm_ring", {});
  ASSERT_EQ(ib["benchmarks"].size(), 3u);
  for (const auto& rec : ib["benchmarks"]) {
    const std::string t = rec["transport"];
    const auto& c = rec["capacity"];
    EXPECT_EQ(c["mode"], "default") << t;
    EXPECT_TRUE(c["asked_bytes"].is_null()) << t;
    ASSERT_TRUE(c["applied_bytes"].is_number_integer()) << t << ": " << c;
    const auto got = c["applied_bytes"].get<std::int64_t>();
    const auto& applied = rec["applied"];
    if (t == "pipe") {
      EXPECT_EQ(got, applied["pipe_capacity_bytes"]);
    }
    if (t == "unix_stream") {
      EXPECT_EQ(2 * got, applied["so_sndbuf_bytes"]);
    }
    if (t == "shm_ring") {
      EXPECT_EQ(got, applied["ring_capacity_bytes"]);
    }
    EXPECT_FALSE(c.contains("limit")) << t;
  }
}

TEST(Capacity, ASweepNamesEachModeAndMeasuresBoth) {
  auto ib = stream_records("pipe", {"--capacity=default,equal"});
  ASSERT_EQ(ib["benchmarks"].size(), 2u);
  const auto& d = ib["benchmarks"][0];
  const auto& e = ib["benchmarks"][1];
  EXPECT_EQ(d["name"], "stream/pipe/65536/capacity_default");
  EXPECT_EQ(e["name"], "stream/pipe/65536/capacity_equal");
  EXPECT_EQ(d["capacity"]["mode"], "default");
  EXPECT_EQ(e["capacity"]["mode"], "equal");
  EXPECT_EQ(e["capacity"]["applied_bytes"], kEqual);
  EXPECT_EQ(d["capacity"]["applied_bytes"],
            d["applied"]["pipe_capacity_bytes"]);
}

TEST(Capacity, AnEqualBudgetOfItsOwnIsAppliedToo) {
  auto ib = stream_records("shm_ring,shm_sem", {"--capacity=equal:256K"});
  for (const auto& rec : ib["benchmarks"]) {
    EXPECT_EQ(rec["capacity"]["asked_bytes"], 256 << 10);
    EXPECT_EQ(rec["capacity"]["applied_bytes"], 256 << 10) << rec["transport"];
  }
}

TEST(Capacity, BadInputIsOneLineAndAnError) {
  for (const char* bad :
       {"--capacity=bogus", "--capacity=equal,equal", "--capacity=equal:1K",
        "--capacity=equal:lots", "--capacity="}) {
    ScratchDir dir;
    auto r = run_ipcbench({"--transports=pipe", "--sizes=64",
                           "--scenarios=stream", "--baselines=none", bad,
                           "--out=" + dir.path + "/r/results.json"});
    EXPECT_NE(r.exit_code, 0) << bad;
    EXPECT_EQ(count_lines(r.err), 1) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("--capacity"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "") << bad;
  }
}

TEST(Capacity, ParsesModesInOrder) {
  EXPECT_EQ(bench::parse_capacities("default"), std::vector<std::size_t>{0});
  EXPECT_EQ(bench::parse_capacities("equal,default"),
            (std::vector<std::size_t>{1 << 20, 0}));
  EXPECT_EQ(bench::parse_capacities("equal:4M"),
            std::vector<std::size_t>{4 << 20});
  EXPECT_THROW(bench::parse_capacities("equal:1M,equal"), bench::UsageError);
  EXPECT_EQ(bench::parse_options({}).capacities, std::vector<std::size_t>{0});
}

TEST(Capacity, ABudgetAKernelLimitStopsIsAWarningNamingTheSysctl) {
  nlohmann::ordered_json rec = {
      {"transport", "pipe"},
      {"message_bytes", 65536},
      {"capacity",
       {{"mode", "equal"},
        {"asked_bytes", 1048576},
        {"applied_bytes", 65536},
        {"limit", "fs.pipe-max-size = 65536"},
        {"sysctl", "sysctl -w fs.pipe-max-size=1048576"}}}};
  auto w = bench::capacity_warning(rec);
  ASSERT_TRUE(w);
  EXPECT_NE(w->find("65536 B applied"), std::string::npos) << *w;
  EXPECT_NE(w->find("sysctl -w fs.pipe-max-size=1048576"), std::string::npos);
  rec["capacity"]["applied_bytes"] = 1048576;
  EXPECT_FALSE(bench::capacity_warning(rec));
  rec["capacity"]["applied_bytes"] = nullptr;
  rec["capacity"]["reason"] = "not sized";
  ASSERT_TRUE(bench::capacity_warning(rec));
  rec["capacity"] = {
      {"mode", "default"}, {"asked_bytes", nullptr}, {"applied_bytes", 65536}};
  EXPECT_FALSE(bench::capacity_warning(rec));
}

TEST(Capacity, MailboxSlotsFillTheBudgetWithWholeMessages) {
  EXPECT_EQ(transports::mailbox_slots(65536, 1 << 20, 1 << 20), 16u);
  EXPECT_EQ(transports::mailbox_slots(64, 1 << 20, 1 << 20), 16384u);
  EXPECT_EQ(transports::mailbox_slots(3 << 20, 1 << 20, 1 << 20), 1u);
  EXPECT_EQ(transports::mailbox_slots(64, 4 << 20, 32767), 32767u);
}
}  // namespace
}  // namespace ipcb
