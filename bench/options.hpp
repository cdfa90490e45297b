// ipcbench's own flags, parsed before Google Benchmark sees the rest.
// Every error is a UsageError whose message names the flag, the value and
// what is accepted; main prints it on one line and exits 2.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/cpu.hpp"
#include "harness/malloc_policy.hpp"
#include "harness/tsc.hpp"

namespace ipcb::bench {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr std::size_t kMaxMessageBytes = std::size_t{256} << 20;
// --capacity=equal: bytes in flight per direction given to every transport.
// 1 MiB: the most a pipe may have without privilege (fs.pipe-max-size),
// the smallest ring shm_ring chooses itself.
inline constexpr std::size_t kEqualCapacityBytes = std::size_t{1} << 20;
inline constexpr std::size_t kMinCapacityBytes = std::size_t{4} << 10;

// Which matrix runs when --sizes, --scenarios, --producers and
// --benchmark_min_time are not given (docs/flags.md#suites):
// kDefault: each scenario at representative sizes (pingpong and stream at
//   64, 4K, 64K, 1M; oneway, rate and fanin at 64, 4K), fan-in with 1 and
//   2 producers, --benchmark_min_time=0.1; kFull (--full): every size
//   64..1M for every scenario, 1, 2 and 4 producers, Google Benchmark's
//   0.5 s; kQuick (--quick): pingpong at 64, stream at 64K,
//   --benchmark_min_time=0.05.
enum class Suite { kDefault, kQuick, kFull };

struct Options {
  std::vector<std::string> transports;  // in registry order, validated
  // Every size some scenario runs (the memcpy baselines' sizes), sorted.
  std::vector<std::size_t> sizes;
  // The suite's sizes of a scenario, when --sizes was not given; a
  // scenario not in it runs `sizes` (sizes_for).
  std::map<std::string, std::vector<std::size_t>> scenario_sizes;
  Suite suite = Suite::kDefault;
  double budget_s = 0;  // --budget, seconds; 0: none
  std::vector<std::string> scenarios;
  std::vector<std::string> waits;  // wait strategies to run where supported
  std::string cpus;                // the --cpus spec as given
  harness::Placement placement;    // the first of `placements` that can run
  std::vector<harness::Placement> placements;  // --placement sweep
  bool verify = false;        // integrity framing on every message
  int pairs = 1;              // --pairs: concurrent independent pairs
  bool baselines = true;      // baseline/memcpy/<size> benchmarks
  std::vector<double> rates;  // rate scenario: offered msgs/s
  // rate scenario: offered percentages of each case's measured stream
  // capacity (--rate=10%,50%); empty when `rates` is given, and vice versa.
  std::vector<double> rate_percents;
  std::vector<int> producers;  // fanin scenario: producer counts to sweep
  std::vector<int> consumers;  // fanout scenario: consumer counts to sweep
  // --capacity sweep: bytes in flight per direction; 0: `default` (each
  // transport as the OS, library or ipcbench ships it).
  std::vector<std::size_t> capacities{0};
  double timeout_s = 60;
  harness::TimerChoice timer = harness::TimerChoice::kAuto;       // --timer
  harness::MallocPolicy malloc = harness::MallocPolicy::kSteady;  // --malloc
  std::string out;  // results file; empty: a new run directory's
  bool list = false;
  bool cleanup = false;
  bool help = false;
  bool quiet = false;  // --quiet: no progress line on stderr
  std::string fault;   // hidden, for tests
  // Hidden, for tests (--inject-pairs-in-turn): each pair's timed phase
  // starts only once the earlier pairs' have ended, so none overlap.
  bool pairs_in_turn = false;
  std::vector<std::string> passthrough;  // Google Benchmark's flags
  // Two hosts (docs/two-hosts.md). --serve[=ADDR:PORT]: run the server
  // (serve_at, default all addresses, kDefaultServePort); --remote=HOST:PORT:
  // the peers run on that server. --token (else $IPCBENCH_TOKEN) is the
  // shared secret; --remote-cpus the peer CPUs on the server (one per
  // pair); with --remote, --cpus=N is the driver's own CPU.
  bool serve = false;
  std::string serve_at;
  std::string remote;
  std::optional<std::string> token;
  std::vector<int> remote_cpus;
  int remote_driver_cpu = -1;
};

inline constexpr int kDefaultServePort = 7300;

// "64", "4K", "1M" (K = 1024). Throws UsageError mentioning `flag`.
std::size_t parse_size(const std::string& text, const std::string& flag);
// "64,4K" and doubling ranges "64..1M"; sorted, duplicates refused.
std::vector<std::size_t> parse_sizes(const std::string& text);

// --rate: messages per second ("10K,100K,1M") or percentages of the
// measured stream capacity ("10%,50%,90%", each above 0 and at most 100),
// one kind per list; each sorted, duplicates refused.
struct RateList {
  std::vector<double> per_s;
  std::vector<double> percents;
};
RateList parse_rates(const std::string& text);

// "1,2,4" producer counts for fanin, each 1..64; sorted, duplicates refused.
std::vector<int> parse_producers(const std::string& text);
std::vector<int> parse_consumers(const std::string& text);

// "default,equal,equal:4M": 0 for default, the budget for equal; in the
// order given, duplicates refused.
std::vector<std::size_t> parse_capacities(const std::string& text);
// "default", "equal" (kEqualCapacityBytes), "equal:4194304".
std::string capacity_mode_text(std::size_t capacity_bytes);

// args excludes argv[0].
Options parse_options(const std::vector<std::string>& args);

// The sizes `scenario` runs: the suite's for it, else `opt.sizes`.
const std::vector<std::size_t>& sizes_for(const Options& opt,
                                          const std::string& scenario);

// "default", "quick", "full".
std::string suite_name(Suite suite);

// The value Google Benchmark takes for `flag` (such as "--benchmark_format"):
// the last one in `passthrough`, else its environment variable
// (BENCHMARK_FORMAT), else `fallback`. A boolean flag given alone is "true".
// For values parse_options has checked.
std::string gb_setting(const std::vector<std::string>& passthrough,
                       const std::string& flag, const std::string& fallback);

// The truth of a boolean spelling parse_options accepted ("true", "no", "1").
bool gb_true(const std::string& spelling);

std::string usage();

}  // namespace ipcb::bench
