#include "bench/options.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <regex>
#include <set>
#include <string_view>

#include "bench/budget.hpp"
#include "bench/job.hpp"
#include "bench/scenarios/registry.hpp"
#include "harness/net_control.hpp"
#include "transports/registry.hpp"

namespace ipcb::bench {

namespace {

std::vector<std::string> split(const std::string& s, const std::string& flag) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    auto comma = s.find(',', start);
    std::string item = s.substr(start, comma - start);
    if (item.empty()) {
      throw UsageError(flag + ": empty item in '" + s +
                       "'; give a comma-separated list without blanks");
    }
    out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  std::set<std::string> seen;
  for (const auto& i : out) {
    if (!seen.insert(i).second)
      throw UsageError(flag + ": '" + i + "' is listed twice");
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) {
    if (!s.empty()) s += ", ";
    s += x;
  }
  return s;
}

[[noreturn]] void refuse(const std::string& flag, const std::string& value,
                         const std::string& problem,
                         const std::string& accepted) {
  throw UsageError(flag + ": '" + value + "' " + problem + "; " + accepted);
}

bool is_blank(char c) { return std::isspace(static_cast<unsigned char>(c)); }

bool padded(const std::string& v) {
  return !v.empty() && (is_blank(v.front()) || is_blank(v.back()));
}

// Digits only (no sign, blank or fraction), at most nine of them.
std::optional<long> whole_number(const std::string& s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return std::stol(s);
}

// A plain decimal number: digits with an optional fraction and exponent
// ("2", "0.5", ".25", "1e-3"); nullopt for signs, blanks, hex, inf, nan,
// trailing text, or a value out of double's range.
std::optional<double> plain_decimal(const std::string& s) {
  if (s.empty() ||
      !(std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '.'))
    return std::nullopt;
  double v = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || ptr != end || !std::isfinite(v)) return std::nullopt;
  return v;
}

// ---- Google Benchmark 1.7.1's flags ------------------------------------
//
// Google Benchmark 1.7.1 is lenient with its flags: a bad format, time unit
// or empty color prints its usage on stdout and exits 0; a boolean takes any
// spelling ("maybe" is true); a malformed number stays in argv beside a
// message of its own; an unusable --benchmark_out or a bad filter fails only
// once the run has begun. So each is checked here, with the rules it
// applies, before anything runs.

enum class GbValue {
  kBool,
  kColor,
  kFormat,
  kTimeUnit,
  kFilter,
  kOut,
  kMinTime,
  kWarmup,
  kRepetitions,
  kVerbosity,
  kPerfCounters,
  kContext
};

struct GbFlag {
  std::string_view name;
  GbValue value;
  std::string_view example;
};

// Every flag that Google Benchmark 1.7.1's ParseCommandLineFlags takes.
constexpr GbFlag kGbFlags[] = {
    {"--benchmark_list_tests", GbValue::kBool, "true"},
    {"--benchmark_filter", GbValue::kFilter, "pingpong/pipe"},
    {"--benchmark_min_time", GbValue::kMinTime, "0.5"},
    {"--benchmark_min_warmup_time", GbValue::kWarmup, "0.5"},
    {"--benchmark_repetitions", GbValue::kRepetitions, "5"},
    {"--benchmark_enable_random_interleaving", GbValue::kBool, "true"},
    {"--benchmark_report_aggregates_only", GbValue::kBool, "true"},
    {"--benchmark_display_aggregates_only", GbValue::kBool, "true"},
    {"--benchmark_format", GbValue::kFormat, "json"},
    {"--benchmark_out", GbValue::kOut, "gb.json"},
    {"--benchmark_out_format", GbValue::kFormat, "json"},
    {"--benchmark_color", GbValue::kColor, "auto"},
    {"--benchmark_counters_tabular", GbValue::kBool, "true"},
    {"--benchmark_perf_counters", GbValue::kPerfCounters, ""},
    {"--benchmark_context", GbValue::kContext, "machine=lab1"},
    {"--benchmark_time_unit", GbValue::kTimeUnit, "us"},
    {"--v", GbValue::kVerbosity, "1"},
};

// The keys Google Benchmark 1.7.1 writes into the JSON "context" itself; a
// --benchmark_context key among them would appear twice in that object.
constexpr std::string_view kGbContextKeys[] = {
    "date",     "host_name",   "executable",
    "num_cpus", "mhz_per_cpu", "cpu_scaling_enabled",
    "caches",   "load_avg",    "library_build_type"};

constexpr double kMaxSeconds = 86400;
constexpr long kMaxRepetitions = 1000000;

const char* const kBoolSpellings =
    "true or false (also yes/no, on/off, 1/0, t/f, y/n, in any case)";

std::string gb_accepted(GbValue kind) {
  switch (kind) {
    case GbValue::kBool:
      return std::string("use ") + kBoolSpellings +
             ", or the flag alone for true";
    case GbValue::kColor:
      return std::string("use auto, ") + kBoolSpellings;
    case GbValue::kFormat:
      return "use console, json or csv";
    case GbValue::kTimeUnit:
      return "use ns, us, ms or s";
    case GbValue::kFilter:
      return "give a POSIX extended regular expression, such as "
             "pingpong/pipe, or -REGEX to leave out what it matches";
    case GbValue::kOut:
      return "give a file in an existing, writable directory, such as "
             "--benchmark_out=gb.json";
    case GbValue::kMinTime:
      return "give seconds > 0 and <= 86400 as a plain number, such as 0.5";
    case GbValue::kWarmup:
      return "give seconds >= 0 and <= 86400 as a plain number, such as 0.5";
    case GbValue::kRepetitions:
      return "give a whole number from 1 to " + std::to_string(kMaxRepetitions);
    case GbValue::kVerbosity:
      return "give a whole number from 0 to 999999999";
    case GbValue::kPerfCounters:
      return "not available: the Google Benchmark ipcbench is built with "
             "(Debian's 1.7.1, without libpfm) cannot read perf counters; "
             "leave the flag out";
    case GbValue::kContext:
      return "give key=value pairs separated by commas, each key once, such "
             "as --benchmark_context=machine=lab1,kernel=6.1";
  }
  return "";
}

const GbFlag* find_gb_flag(const std::string& name) {
  for (const auto& f : kGbFlags) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// The definite value of a boolean spelling, as Google Benchmark reads it
// (IsTruthyFlagValue); nullopt for spellings it would also take as true
// ("maybe", "2", "00") but that say nothing definite.
std::optional<bool> definite_bool(std::string v) {
  for (auto& c : v) c = static_cast<char>(std::tolower(c));
  for (const char* t : {"true", "yes", "on", "1", "t", "y"}) {
    if (v == t) return true;
  }
  for (const char* f : {"false", "no", "off", "0", "f", "n"}) {
    if (v == f) return false;
  }
  return std::nullopt;
}

// Google Benchmark 1.7.1 compiles the filter as std::regex with the
// POSIX extended grammar; a leading '-' leaves out what the rest matches.
void check_filter(const std::string& flag, const std::string& val) {
  const std::string re = val[0] == '-' ? val.substr(1) : val;
  try {
    std::regex compiled(re, std::regex_constants::extended);
  } catch (const std::regex_error& e) {
    refuse(flag, val,
           "is not a valid regular expression (" + std::string(e.what()) + ")",
           gb_accepted(GbValue::kFilter));
  }
}

// The file must be one Google Benchmark can open for writing: an existing
// writable regular file, or a new name in an existing writable directory.
// Checked with stat and access only: nothing is created.
void check_out_path(const std::string& flag, const std::string& path) {
  auto fail = [&](const std::string& why) {
    refuse(flag, path, "is not accepted (" + why + ")",
           gb_accepted(GbValue::kOut));
  };
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    // ipcbench writes this file itself, like its own, never through a link.
    if (S_ISLNK(st.st_mode))
      fail("it is a symbolic link; give the path of the file itself");
    if (!S_ISREG(st.st_mode)) fail("it is not a regular file");
    if (::access(path.c_str(), W_OK) != 0)
      fail(std::string("it is not writable: ") + std::strerror(errno));
    return;
  }
  if (errno != ENOENT && errno != ENOTDIR) fail(std::strerror(errno));
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOTDIR)
      fail("a part of directory '" + dir + "' is not a directory");
    if (errno == ENOENT) fail("directory '" + dir + "' does not exist");
    fail("directory '" + dir + "': " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) fail("'" + dir + "' is not a directory");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    fail("directory '" + dir + "' is not writable: " + std::strerror(errno));
}

// "k=v,k2=v2", split as Google Benchmark splits it (on ',' then '=').
// `seen` collects keys across repeated flags: it keeps only the first.
void check_context(const std::string& flag, const std::string& val,
                   std::set<std::string>& seen) {
  auto fail = [&](const std::string& why) {
    refuse(flag, val, "is not accepted (" + why + ")",
           gb_accepted(GbValue::kContext));
  };
  std::size_t start = 0;
  for (;;) {
    const auto comma = val.find(',', start);
    const std::string item = val.substr(start, comma - start);
    const auto eq = item.find('=');
    if (item.empty()) fail("an empty item");
    if (eq == std::string::npos) fail("'" + item + "' has no '='");
    if (item.find('=', eq + 1) != std::string::npos)
      fail("'" + item + "' has more than one '='");
    const std::string key = item.substr(0, eq);
    if (key.empty() || padded(key)) fail("'" + item + "' has no plain key");
    for (auto own : kGbContextKeys) {
      if (key == own)
        throw UsageError(flag + ": key '" + key +
                         "' is Google Benchmark's own context entry; choose "
                         "another key");
    }
    if (!seen.insert(key).second) fail("key '" + key + "' given twice");
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
}

void check_seconds(const std::string& flag, const std::string& val,
                   GbValue kind) {
  const auto v = plain_decimal(val);
  const bool ok =
      v && *v <= kMaxSeconds && (kind == GbValue::kWarmup ? *v >= 0 : *v > 0);
  if (ok) return;
  std::string accepted = gb_accepted(kind);
  if (!val.empty() && (val.back() == 's' || val.back() == 'x'))
    accepted += " (no s or x suffix in Google Benchmark 1.7.1)";
  refuse(flag, val, "is not accepted", accepted);
}

struct GbChecks {
  std::set<std::string> context_keys;
  std::set<std::string_view> given;  // flags given on the command line
  std::vector<std::pair<std::string, std::string>> outs;  // (label, file)
};

std::string gb_flag_names() {
  std::string names;
  for (const auto& f : kGbFlags) {
    if (!names.empty()) names += ", ";
    names += f.name;
  }
  return names;
}

// One value of `flag`, from the command line or the environment. `label`
// names it in errors; `assign` is how a value is written ("--v" or "V").
void check_gb_value(const GbFlag& flag, const std::string& label,
                    const std::string& assign, bool has_value,
                    const std::string& val, GbChecks& checks) {
  const GbValue kind = flag.value;
  if (kind == GbValue::kPerfCounters)
    throw UsageError(label + ": " + gb_accepted(kind));
  if (kind == GbValue::kBool && !has_value) return;  // the flag alone: true
  if (kind != GbValue::kBool && val.empty()) {
    throw UsageError(label + ": needs a value, as in " + assign + "=" +
                     std::string(flag.example) + "; " + gb_accepted(kind));
  }
  if (padded(val))
    refuse(label, val, "is not accepted (leading or trailing whitespace)",
           gb_accepted(kind));
  bool ok = true;
  switch (kind) {
    case GbValue::kBool:
      ok = definite_bool(val).has_value();
      break;
    case GbValue::kColor:
      ok = val == "auto" || definite_bool(val).has_value();
      break;
    case GbValue::kFormat:
      ok = val == "console" || val == "json" || val == "csv";
      break;
    case GbValue::kTimeUnit:
      ok = val == "ns" || val == "us" || val == "ms" || val == "s";
      break;
    case GbValue::kFilter:
      check_filter(label, val);
      break;
    case GbValue::kOut:
      check_out_path(label, val);
      checks.outs.emplace_back(label, val);
      break;
    case GbValue::kMinTime:
    case GbValue::kWarmup:
      check_seconds(label, val, kind);
      break;
    case GbValue::kRepetitions: {
      const auto n = whole_number(val);
      ok = n && *n >= 1 && *n <= kMaxRepetitions;
      break;
    }
    case GbValue::kVerbosity: {
      ok = whole_number(val).has_value();  // any level Google Benchmark takes
      break;
    }
    case GbValue::kContext:
      check_context(label, val, checks.context_keys);
      break;
    case GbValue::kPerfCounters:
      break;
  }
  if (!ok) refuse(label, val, "is not accepted", gb_accepted(kind));
}

// `arg` is the whole argument, `key` what comes before its first '='.
void check_benchmark_flag(const std::string& arg, const std::string& key,
                          GbChecks& checks) {
  const GbFlag* flag = find_gb_flag(key);
  if (!flag) {
    throw UsageError(key + ": not a Google Benchmark 1.7.1 flag; it takes " +
                     gb_flag_names());
  }
  checks.given.insert(flag->name);
  const bool has_value = arg.size() > key.size();
  check_gb_value(*flag, key, key, has_value,
                 has_value ? arg.substr(key.size() + 1) : "", checks);
}

// "--benchmark_format" -> "BENCHMARK_FORMAT", "--v" -> "V".
std::string gb_env_name(std::string_view flag) {
  std::string name(flag.substr(2));
  for (auto& c : name) c = static_cast<char>(std::toupper(c));
  return name;
}

// Google Benchmark 1.7.1 takes a flag's default from its environment
// variable, so a variable whose flag is not given is checked the same way.
// BENCHMARK_CONTEXT's pairs come before the flag's (`only_context`: check
// it alone, before the command line).
void check_gb_environment(GbChecks& checks, bool only_context) {
  for (const auto& flag : kGbFlags) {
    if ((flag.value == GbValue::kContext) != only_context) continue;
    if (checks.given.count(flag.name)) continue;
    const std::string name = gb_env_name(flag.name);
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) continue;
    check_gb_value(flag, name + " (environment)", name, true, value, checks);
  }
}

// Google Benchmark's file and ipcbench's results file cannot be one file.
void check_outs_differ(
    const std::vector<std::pair<std::string, std::string>>& gb_outs,
    const std::string& out) {
  std::error_code ec;
  const auto ours = std::filesystem::weakly_canonical(out, ec);
  if (ec) return;
  for (const auto& [label, gb] : gb_outs) {
    const auto theirs = std::filesystem::weakly_canonical(gb, ec);
    if (!ec && theirs == ours) {
      refuse(label, gb, "is not accepted (it is the results file of --out too)",
             "give Google Benchmark's file another name");
    }
  }
}

// ---- ipcbench's own flags ----------------------------------------------

struct OwnFlag {
  std::string_view name;
  bool list;
  std::string_view accepted;
};

// The timeout covers starting the peer (fork + exec), connecting and the
// whole run of one benchmark, which lasts at least --benchmark_min_time
// (0.5 s by default): below a second it would kill healthy peers.
constexpr char kTimeoutForm[] =
    "give seconds from 1 to 86400, such as --timeout=60: the timeout covers "
    "starting the peer, connecting and the whole run of one benchmark, so a "
    "shorter one would kill healthy peers";
constexpr char kFaultForm[] =
    "give action@phase or action@phase:count, such as crash@run:5";

constexpr OwnFlag kOwnFlags[] = {
    {"--transports", true, "--transports=pipe,fifo"},
    {"--sizes", true, "--sizes=64,4K"},
    {"--scenarios", true, "--scenarios=pingpong,stream"},
    {"--wait", true, "--wait=block,spin"},
    {"--cpus", true, "--cpus=0,1"},
    {"--placement", true, "--placement=cross,same"},
    {"--rate", true, "--rate=10%,50%,90%"},
    {"--producers", true, "--producers=1,2,4"},
    {"--consumers", true, "--consumers=1,2,4"},
    {"--capacity", true, "--capacity=default,equal"},
    {"--timeout", false, kTimeoutForm},
    {"--pairs", false, "give a whole number from 1 to 64"},
    {"--out", false, "give a file path, such as --out=results/run.json"},
    {"--baselines", false, "use memcpy (default) or none"},
    {"--inject-peer-fault", false, kFaultForm},
    {"--timer", false, "use auto (default), tsc or clock"},
    {"--malloc", false, "use steady (default) or glibc"},
    {"--budget", false, "give a duration such as 90s, 10m or 1m30s"},
    {"--remote", false, "give the server as HOST:PORT, such as 10.0.0.2:7300"},
    {"--remote-cpus", true, "--remote-cpus=2,3"},
};

// --serve, --remote and their companions: which combinations make sense.
// With --remote and no --transports: the transports that cross hosts.
void check_two_hosts(Options& o, std::string& transports_arg,
                     const std::string& scenarios_arg,
                     const std::string& placement_arg) {
  if (o.serve && !o.remote.empty())
    throw UsageError(
        "--serve and --remote both given: run --serve on the server host and "
        "--remote=HOST:PORT on the driver's");
  if (o.remote.empty() && !o.remote_cpus.empty())
    throw UsageError("--remote-cpus: applies only with --remote=HOST:PORT");
  if (o.remote.empty() && !o.serve && o.token)
    throw UsageError("--token: applies only with --serve or --remote");
  if (o.serve && (!transports_arg.empty() || !scenarios_arg.empty() ||
                  !placement_arg.empty() || !o.out.empty()))
    throw UsageError(
        "--serve takes no benchmark flags: the driver (--remote) chooses "
        "what runs; give --serve=ADDR:PORT and the token alone");
  try {
    if (o.serve) harness::parse_host_port(o.serve_at, "--serve", true);
    if (!o.remote.empty()) {
      const auto hp = harness::parse_host_port(o.remote, "--remote", false);
      if (hp.host.empty())
        throw UsageError("--remote='" + o.remote +
                         "': name the server's host, such as "
                         "--remote=10.0.0.2:7300");
    }
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  if (!o.remote.empty() && transports_arg.empty()) {
    for (const auto& t : transports::all_transports()) {
      if (!t.caps.crosses_hosts) continue;
      transports_arg += (transports_arg.empty() ? "" : ",") + t.name;
    }
  }
}

// Blanks and empty list items, refused with the flag's accepted form before
// the value itself is read.
void check_shape(const std::string& key, const std::string& val) {
  for (const auto& f : kOwnFlags) {
    if (f.name != key) continue;
    if (!f.list) {
      if (padded(val))
        refuse(key, val, "is not accepted (leading or trailing whitespace)",
               std::string(f.accepted));
      return;
    }
    const std::string form =
        "give a comma-separated list without spaces, such as " +
        std::string(f.accepted);
    if (std::any_of(val.begin(), val.end(), is_blank))
      refuse(key, val, "is not accepted (it contains whitespace)", form);
    if (val.front() == ',' || val.back() == ',' ||
        val.find(",,") != std::string::npos)
      refuse(key, val, "is not accepted (an empty item)", form);
    return;
  }
}

// "<digits>[K|M]" (either case) as digits x multiplier, K = kilo and
// M = kilo x kilo; nullopt for any other shape or more than 15 digits.
std::optional<long double> scaled_number(const std::string& text,
                                         long double kilo) {
  std::size_t digits = 0;
  while (digits < text.size() &&
         std::isdigit(static_cast<unsigned char>(text[digits])))
    ++digits;
  if (digits == 0 || digits > 15) return std::nullopt;
  const std::string suffix = text.substr(digits);
  long double mult = 1;
  if (suffix == "K" || suffix == "k")
    mult = kilo;
  else if (suffix == "M" || suffix == "m")
    mult = kilo * kilo;
  else if (!suffix.empty())
    return std::nullopt;
  return std::stold(text.substr(0, digits)) * mult;
}

// --timer's value; tsc only where this machine has a usable TSC.
harness::TimerChoice parse_timer(const std::string& val) {
  if (val == "auto") return harness::TimerChoice::kAuto;
  if (val == "clock") return harness::TimerChoice::kClock;
  if (val != "tsc")
    refuse("--timer", val, "is not accepted",
           "use auto (default), tsc or clock");
  const harness::TscSupport tsc = harness::tsc_support();
  if (!tsc.usable)
    refuse("--timer", val, "is not available here (" + tsc.reason + ")",
           "use auto or clock");
  return harness::TimerChoice::kTsc;
}

// The sizes of the suites, where --sizes is not given.
constexpr char kFullSizes[] = "64,256,1K,4K,16K,64K,256K,1M";
constexpr char kDefaultWideSizes[] = "64,4K,64K,1M";  // pingpong, stream, ...
constexpr char kDefaultNarrowSizes[] = "64,4K";
// Scenarios whose default suite runs only kDefaultNarrowSizes: their runs
// cost the most per size (paced, several processes) and their figures
// change little with size beyond 4K.
constexpr std::string_view kNarrowScenarios[] = {"oneway", "rate", "fanin",
                                                 "fanout"};
constexpr char kQuickScenarios[] = "pingpong,stream";
constexpr char kQuickMinTime[] = "--benchmark_min_time=0.05";
constexpr char kDefaultMinTime[] = "--benchmark_min_time=0.1";

std::string suite_sizes(Suite suite, const std::string& scenario) {
  if (suite == Suite::kFull) return kFullSizes;
  // --quick: each scenario's headline at one size, latency small and
  // throughput large.
  if (suite == Suite::kQuick) return scenario == "stream" ? "64K" : "64";
  for (auto narrow : kNarrowScenarios) {
    if (scenario == narrow) return kDefaultNarrowSizes;
  }
  return kDefaultWideSizes;
}

// The sizes when --sizes is not given: each scenario's from its suite,
// and their union in `sizes`.
void apply_suite_sizes(Options& o) {
  std::set<std::size_t> all;
  for (const auto& name : o.scenarios) {
    auto sizes = parse_sizes(suite_sizes(o.suite, name));
    all.insert(sizes.begin(), sizes.end());
    o.scenario_sizes[name] = std::move(sizes);
  }
  if (all.empty()) {
    auto sizes = parse_sizes(suite_sizes(o.suite, ""));
    all.insert(sizes.begin(), sizes.end());
  }
  o.sizes.assign(all.begin(), all.end());
}

// The suite's minimum time, unless given (flag or environment) or
// planned by --budget (the two exclude each other): 0.05 s for --quick,
// 0.1 s for the default suite (so that it runs in about 6 minutes on 2
// CPUs),
// Google Benchmark's 0.5 s for --full.
void apply_min_time(Options& o) {
  const bool given =
      !gb_setting(o.passthrough, "--benchmark_min_time", "").empty();
  if (o.budget_s > 0 && given)
    throw UsageError(
        "--budget and --benchmark_min_time (or BENCHMARK_MIN_TIME) both "
        "given; --budget sets the minimum time itself: give one of them");
  if (given || o.budget_s > 0 || o.suite == Suite::kFull) return;
  o.passthrough.insert(o.passthrough.begin(), o.suite == Suite::kQuick
                                                  ? kQuickMinTime
                                                  : kDefaultMinTime);
}

}  // namespace

std::string suite_name(Suite suite) {
  switch (suite) {
    case Suite::kQuick:
      return "quick";
    case Suite::kFull:
      return "full";
    case Suite::kDefault:
      break;
  }
  return "default";
}

const std::vector<std::size_t>& sizes_for(const Options& opt,
                                          const std::string& scenario) {
  const auto it = opt.scenario_sizes.find(scenario);
  return it == opt.scenario_sizes.end() ? opt.sizes : it->second;
}

std::size_t parse_size(const std::string& text, const std::string& flag) {
  const std::string accepted =
      "; accepted: a positive byte count such as 64, 4K or 1M (K=1024), up "
      "to 256M";
  const auto v = scaled_number(text, 1024);
  if (!v) throw UsageError(flag + ": '" + text + "' is not a size" + accepted);
  if (*v == 0) throw UsageError(flag + ": size 0 is not allowed" + accepted);
  if (*v > kMaxMessageBytes)
    throw UsageError(flag + ": '" + text + "' is too large" + accepted);
  return static_cast<std::size_t>(*v);
}

std::vector<std::size_t> parse_sizes(const std::string& text) {
  std::vector<std::size_t> sizes;
  for (const auto& item : split(text, "--sizes")) {
    auto dots = item.find("..");
    if (dots == std::string::npos) {
      sizes.push_back(parse_size(item, "--sizes"));
      continue;
    }
    std::size_t lo = parse_size(item.substr(0, dots), "--sizes");
    std::size_t hi = parse_size(item.substr(dots + 2), "--sizes");
    if (lo > hi)
      throw UsageError("--sizes: range '" + item +
                       "' runs backwards; write low..high");
    for (std::size_t s = lo; s <= hi; s *= 2) sizes.push_back(s);
  }
  std::sort(sizes.begin(), sizes.end());
  if (std::adjacent_find(sizes.begin(), sizes.end()) != sizes.end())
    throw UsageError("--sizes: '" + text + "' names a size twice");
  return sizes;
}

namespace {

constexpr char kRateForm[] =
    "give percentages of each transport's measured stream capacity, above 0 "
    "and at most 100, such as --rate=10%,50%,90%, or messages per second "
    "from 1 to 100M, such as --rate=10K,100K (K = 1000)";

// "50%", "12.5%": the percentage, or nullopt when `item` is not one.
std::optional<double> percent_of(const std::string& item) {
  const std::string digits = item.substr(0, item.size() - 1);
  if (digits.empty() || digits.front() == '.' || digits.back() == '.' ||
      std::count(digits.begin(), digits.end(), '.') > 1 ||
      !std::all_of(digits.begin(), digits.end(),
                   [](char c) { return std::isdigit(c) || c == '.'; }))
    return std::nullopt;
  return std::strtod(digits.c_str(), nullptr);
}

}  // namespace

RateList parse_rates(const std::string& text) {
  RateList rates;
  for (const auto& item : split(text, "--rate")) {
    if (item.back() == '%') {
      const auto p = percent_of(item);
      if (!p || !(*p > 0))
        throw UsageError("--rate: '" + item + "' is not accepted; " +
                         kRateForm);
      if (*p > 100)
        throw UsageError("--rate: '" + item +
                         "' is above 100% of the measured capacity; for a "
                         "load beyond it give messages per second, such as "
                         "--rate=2M");
      rates.percents.push_back(*p);
      continue;
    }
    const auto scanned = scaled_number(item, 1000);
    const double v = scanned ? static_cast<double>(*scanned) : -1;
    if (!(v >= 1 && v <= 1e8))
      throw UsageError("--rate: '" + item + "' is not accepted; " + kRateForm);
    rates.per_s.push_back(v);
  }
  if (!rates.percents.empty() && !rates.per_s.empty())
    throw UsageError("--rate: '" + text +
                     "' mixes percentages and messages per second; give one "
                     "kind, such as --rate=10%,50%,90% or --rate=10K,100K");
  for (auto* list : {&rates.per_s, &rates.percents}) {
    std::sort(list->begin(), list->end());
    if (std::adjacent_find(list->begin(), list->end()) != list->end())
      throw UsageError("--rate: '" + text + "' names a rate twice");
  }
  return rates;
}

namespace {
// A list of process counts for `flag` ("--producers"), 1 to 64 each, of
// `noun`s ("producer"), sorted.
std::vector<int> parse_counts(const std::string& text, const char* flag,
                              const char* noun) {
  const std::string f = flag;
  std::vector<int> counts;
  for (const auto& item : split(text, flag)) {
    const auto scanned = scaled_number(item, 1000);
    if (!scanned || *scanned < 1 || *scanned > 64)
      throw UsageError(f + ": '" + item + "' is not accepted; give " + noun +
                       " counts from 1 to 64, such as 1,2,4");
    counts.push_back(static_cast<int>(*scanned));
  }
  std::sort(counts.begin(), counts.end());
  if (std::adjacent_find(counts.begin(), counts.end()) != counts.end())
    throw UsageError(f + ": '" + text + "' names a count twice");
  return counts;
}
}  // namespace

std::vector<int> parse_producers(const std::string& text) {
  return parse_counts(text, "--producers", "producer");
}

std::vector<int> parse_consumers(const std::string& text) {
  return parse_counts(text, "--consumers", "consumer");
}

std::vector<std::size_t> parse_capacities(const std::string& text) {
  const std::string accepted =
      "; accepted: default (each transport as shipped), equal (" +
      std::to_string(kEqualCapacityBytes) +
      " B per direction for every transport) or equal:SIZE (such as "
      "equal:4M, at least 4K), comma-separated";
  std::vector<std::size_t> out;
  for (const auto& item : split(text, "--capacity")) {
    std::size_t bytes = 0;
    if (item == "equal") {
      bytes = kEqualCapacityBytes;
    } else if (item.rfind("equal:", 0) == 0) {
      const std::string size = item.substr(6);
      const auto v = scaled_number(size, 1024);
      if (!v || *v < kMinCapacityBytes || *v > kMaxMessageBytes)
        throw UsageError("--capacity: '" + item + "' is not accepted" +
                         accepted + ", up to 256M");
      bytes = static_cast<std::size_t>(*v);
    } else if (item != "default") {
      throw UsageError("--capacity: '" + item + "' is not accepted" + accepted);
    }
    if (std::find(out.begin(), out.end(), bytes) != out.end())
      throw UsageError("--capacity: '" + text + "' names " +
                       capacity_mode_text(bytes) + " twice");
    out.push_back(bytes);
  }
  return out;
}

std::string capacity_mode_text(std::size_t capacity_bytes) {
  if (capacity_bytes == 0) return "default";
  if (capacity_bytes == kEqualCapacityBytes) return "equal";
  return "equal:" + std::to_string(capacity_bytes);
}

Options parse_options(const std::vector<std::string>& args) {
  Options o;
  std::string transports_arg, sizes_arg;
  std::string scenarios_arg, waits_arg, rates_arg = "10%,50%,90%",
                                        placement_arg;
  std::string producers_arg;
  std::string consumers_arg = "1,2,4";
  bool quick = false, full = false;
  GbChecks gb;
  check_gb_environment(gb, true);
  for (const auto& a : args) {
    auto eq = a.find('=');
    std::string key = a.substr(0, eq);
    std::string val = eq == std::string::npos ? "" : a.substr(eq + 1);
    if (key.rfind("--benchmark_", 0) == 0 || key == "--v") {
      check_benchmark_flag(a, key, gb);
      o.passthrough.push_back(a);
      continue;
    }
    auto need_value = [&] {
      if (eq == std::string::npos || val.empty())
        throw UsageError(key + ": needs a value, as in " + key + "=...");
      check_shape(key, val);
    };
    if (key == "--transports")
      need_value(), transports_arg = val;
    else if (key == "--sizes")
      need_value(), sizes_arg = val;
    else if (key == "--scenarios")
      need_value(), scenarios_arg = val;
    else if (key == "--wait")
      need_value(), waits_arg = val;
    else if (key == "--cpus")
      need_value(), o.cpus = val;
    else if (key == "--placement")
      need_value(), placement_arg = val;
    else if (key == "--rate")
      need_value(), rates_arg = val;
    else if (key == "--producers")
      need_value(), producers_arg = val;
    else if (key == "--consumers")
      need_value(), consumers_arg = val;
    else if (key == "--capacity")
      need_value(), o.capacities = parse_capacities(val);
    else if (a == "--verify")
      o.verify = true;
    else if (a == "--quick" || a == "--full") {
      (a == "--quick" ? quick : full) = true;
    } else if (key == "--quick" || key == "--full") {
      throw UsageError(key + ": takes no value; give " + key + " alone");
    } else if (key == "--budget") {
      need_value();
      try {
        o.budget_s = parse_budget(val);
      } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
      }
    } else if (a == "--inject-pairs-in-turn")
      o.pairs_in_turn = true;
    else if (key == "--baselines") {
      need_value();
      if (val != "memcpy" && val != "none")
        throw UsageError("--baselines: '" + val +
                         "' is not accepted; use memcpy (default) or none");
      o.baselines = val == "memcpy";
    } else if (key == "--pairs") {
      need_value();
      const auto n = whole_number(val);
      if (!n || *n < 1 || *n > 64)
        throw UsageError("--pairs: '" + val +
                         "' is not accepted; give a whole number from 1 to 64");
      o.pairs = static_cast<int>(*n);
    } else if (key == "--timer") {
      need_value();
      o.timer = parse_timer(val);
    } else if (key == "--malloc") {
      need_value();
      const auto policy = harness::parse_malloc_policy(val);
      if (!policy)
        refuse("--malloc", val, "is not accepted",
               "use steady (default) or glibc");
      o.malloc = *policy;
    } else if (key == "--out")
      need_value(), o.out = val;
    else if (key == "--inject-peer-fault")
      need_value(), o.fault = val;
    else if (key == "--timeout") {
      need_value();
      const auto v = plain_decimal(val);
      if (!v || *v < 1 || *v > kMaxSeconds)
        refuse("--timeout", val, "is not accepted", kTimeoutForm);
      o.timeout_s = *v;
    } else if (key == "--serve") {
      if (eq != std::string::npos) need_value();
      o.serve = true;
      o.serve_at = eq == std::string::npos
                       ? "0.0.0.0:" + std::to_string(kDefaultServePort)
                       : val;
    } else if (key == "--remote") {
      need_value(), o.remote = val;
    } else if (key == "--token") {
      if (eq == std::string::npos)
        throw UsageError("--token: needs a value, as in --token=SECRET");
      o.token = val;
    } else if (key == "--remote-cpus") {
      need_value();
      for (const auto& item : split(val, "--remote-cpus")) {
        const auto n = whole_number(item);
        if (!n || *n > 4095)
          throw UsageError("--remote-cpus: '" + item +
                           "' is not a CPU number; give CPUs of the server, "
                           "such as --remote-cpus=2,3");
        o.remote_cpus.push_back(static_cast<int>(*n));
      }
    } else if (a == "--list")
      o.list = true;
    else if (a == "--cleanup")
      o.cleanup = true;
    else if (key == "--quiet") {
      if (eq != std::string::npos)
        throw UsageError("--quiet: takes no value; give --quiet alone");
      o.quiet = true;
    } else if (a == "--help" || a == "-h")
      o.help = true;
    else if (a.rfind("-", 0) != 0)
      throw UsageError("unexpected argument '" + a +
                       "'; flags take the form --name=value, and lists are "
                       "written without spaces, such as --sizes=64,4K");
    else
      throw UsageError("unknown flag '" + a + "'; see ipcbench --help");
  }

  check_gb_environment(gb, false);
  check_two_hosts(o, transports_arg, scenarios_arg, placement_arg);
  if (quick && full)
    throw UsageError("--quick and --full both given; choose one suite");
  o.suite = quick ? Suite::kQuick : full ? Suite::kFull : Suite::kDefault;
  if (producers_arg.empty())
    producers_arg = o.suite == Suite::kFull ? "1,2,4" : "1,2";
  if (scenarios_arg.empty() && o.suite == Suite::kQuick)
    scenarios_arg = kQuickScenarios;

  std::vector<std::string> all;
  for (const auto& t : transports::all_transports()) all.push_back(t.name);
  if (transports_arg.empty()) {
    o.transports = all;
  } else {
    for (const auto& n : split(transports_arg, "--transports")) {
      if (!transports::find_transport(n))
        throw UsageError("--transports: unknown transport '" + n +
                         "'; accepted: " + join(all));
      o.transports.push_back(n);
    }
  }
  if (scenarios_arg.empty()) {
    o.scenarios = scenario_names();
  } else {
    for (const auto& s : split(scenarios_arg, "--scenarios")) {
      if (!is_scenario(s))
        throw UsageError("--scenarios: unknown scenario '" + s +
                         "'; accepted: " + join(scenario_names()));
      o.scenarios.push_back(s);
    }
  }
  if (sizes_arg.empty())
    apply_suite_sizes(o);
  else
    o.sizes = parse_sizes(sizes_arg);
  for (const auto& name : o.transports) {
    const auto* info = transports::find_transport(name);
    const std::size_t max = info->caps.max_message_bytes;
    if (max != 0 && o.sizes.back() > max && !transports_arg.empty()) {
      throw UsageError("--sizes: " + std::to_string(o.sizes.back()) +
                       " B is beyond what " + name + " can carry (" +
                       std::to_string(max) + " B: " + info->caps.limits +
                       "); lower --sizes or drop " + name);
    }
  }
  o.waits = {"block", "spin"};
  if (!waits_arg.empty()) {
    o.waits = split(waits_arg, "--wait");
    for (const auto& w : o.waits) {
      if (w != "block" && w != "spin")
        throw UsageError("--wait: unknown wait strategy '" + w +
                         "'; accepted: block, spin");
    }
  }
  if (!o.remote.empty() && !o.cpus.empty()) {
    // With --remote, --cpus names the driver's CPU alone.
    const auto n = whole_number(o.cpus);
    if (!n || *n > 4095)
      throw UsageError("--cpus: '" + o.cpus +
                       "' is not accepted with --remote; give the driver's "
                       "own CPU, such as --cpus=2 (--remote-cpus places the "
                       "peers on the server)");
    o.remote_driver_cpu = static_cast<int>(*n);
    o.cpus.clear();
  }
  if (!placement_arg.empty() && !o.cpus.empty())
    throw UsageError("--placement and --cpus both given; use one of them");
  try {
    if (placement_arg.empty()) {
      o.placements = {
          harness::resolve_placement(o.cpus, harness::initial_cpus())};
    } else {
      std::vector<std::string> items = split(placement_arg, "--placement");
      if (items == std::vector<std::string>{"all"}) {
        items = harness::placement_presets();
      } else if (std::find(items.begin(), items.end(), "all") != items.end()) {
        throw UsageError(
            "--placement: all stands alone (it sweeps every preset: " +
            join(harness::placement_presets()) + ")");
      }
      for (std::string item : items) {
        std::replace(item.begin(), item.end(), ':', ',');
        o.placements.push_back(
            harness::resolve_placement(item, harness::initial_cpus()));
      }
    }
  } catch (const std::invalid_argument& e) {
    std::string msg = e.what();
    if (!placement_arg.empty()) msg.replace(0, 6, "--placement");
    throw UsageError(msg);
  }
  // The run's placement (and the memcpy baseline's CPU): the first one
  // this machine can give.
  o.placement = o.placements.front();
  for (const auto& p : o.placements) {
    if (p.unavailable.empty()) {
      o.placement = p;
      break;
    }
  }
  const RateList rates = parse_rates(rates_arg);
  o.rates = rates.per_s;
  o.rate_percents = rates.percents;
  o.producers = parse_producers(producers_arg);
  o.consumers = parse_consumers(consumers_arg);
  if (!o.fault.empty()) {
    const auto colon = o.fault.find(':');
    if (colon != std::string::npos && !whole_number(o.fault.substr(colon + 1)))
      refuse("--inject-peer-fault", o.fault, "is not accepted", kFaultForm);
    try {
      Fault::parse(o.fault);
    } catch (const std::logic_error& e) {
      throw UsageError(std::string("--inject-peer-fault: ") + e.what());
    }
  }
  if (!o.out.empty()) check_outs_differ(gb.outs, o.out);
  apply_min_time(o);
  return o;
}

std::string gb_setting(const std::vector<std::string>& passthrough,
                       const std::string& flag, const std::string& fallback) {
  std::optional<std::string> value;
  for (const auto& a : passthrough) {
    if (a == flag) value = "true";
    if (a.rfind(flag + "=", 0) == 0) value = a.substr(flag.size() + 1);
  }
  if (value) return *value;
  const char* env = std::getenv(gb_env_name(flag).c_str());
  return env ? env : fallback;
}

bool gb_true(const std::string& spelling) {
  return definite_bool(spelling).value_or(false);
}

std::string usage() {
  return R"(usage: ipcbench [flags] [Google Benchmark flags]

Measures IPC latency and throughput between two pinned processes.
Lists are comma-separated, without spaces: --sizes=64,4K, not --sizes=64, 4K.

  --transports=a,b     transports to run (default: all; see --list)
  --sizes=LIST         message sizes: 64,4K,1M and doubling ranges 64..1M,
                       for every scenario (default: the suite's, below)
  --scenarios=a,b      )" +
         join(scenario_names()) + R"( (default: all)
  (default suite)      pingpong and stream at 64,4K,64K,1M; oneway, rate,
                       fanin and fanout at 64,4K; --producers=1,2;
                       --benchmark_min_time=0.1
  --full               the complete matrix: every scenario at every size
                       64,256,1K,4K,16K,64K,256K,1M, --producers=1,2,4,
                       Google Benchmark's --benchmark_min_time=0.5
  --quick              a short suite: pingpong at 64, stream at 64K,
                       --benchmark_min_time=0.05
  --budget=TIME        fit the run into TIME (90s, 10m, 1h, 1m30s): every
                       benchmark gets the same --benchmark_min_time, after
                       the measured set-up time per benchmark; the plan is
                       printed first, a budget too small for 0.05 s each
                       is refused with the budget that would do
  --rate=LIST          offered loads for the rate scenario: percentages of
                       each case's stream capacity, measured first by a
                       short stream run, from above 0 to 100 (default
                       10%,50%,90%), or messages per second (10K,100K;
                       here K = 1000); one kind per list
  --producers=LIST     fanin: producer processes sending to one consumer,
                       swept, 1 to 64 each (default 1,2; --full 1,2,4)
  --consumers=LIST     fanout: consumer processes each receiving every
                       message of one producer, swept, 1 to 64 each
                       (default 1,2,4)
  --verify             sequence number + checksum in every message, checked
                       on receipt (off by default: fastest figures)
  --placement=LIST     placements, swept in one run, chosen from this
                       machine's topology (hwloc): same (one CPU), smt (two
                       threads of one core), core (two cores sharing an
                       L3), l3 (two L3 domains), numa (two NUMA nodes),
                       cross (two cores, never SMT siblings), none (not
                       pinned), A:B (driver on A, peer on B), or all (every
                       preset); a preset this machine lacks is skipped,
                       its reason recorded
  --capacity=LIST      bytes in flight per direction, swept: default (each
                       transport as shipped: pipes 64 KiB, socket buffers
                       from the sysctls, 10-message POSIX queues...), equal
                       (1 MiB for every transport: pipe size, socket
                       buffers, queue depth, ring size, ZeroMQ HWM; the
                       applied figure is read back and recorded, a kernel
                       limit named), equal:SIZE (such as equal:4M)
                       (default: default)
  --baselines=memcpy   also time memcpy of each size, the copy floor
                       (default; none to leave it out)
  --pairs=N            N independent pairs at once, 1 to 64 (pingpong,
                       stream): per-pair and aggregate figures
  --wait=block,spin    wait strategies, for transports that offer several
  --timer=auto         round-trip timer (pingpong, oneway): auto (default)
                       is the TSC where the CPU has an invariant one,
                       calibrated against CLOCK_MONOTONIC at start-up, each
                       round trip timed on its own, else the clock; tsc
                       insists on the TSC; clock uses CLOCK_MONOTONIC, which
                       times round trips under 1 us in batches (their
                       percentiles are of batch means, named so)
  --malloc=steady      glibc malloc in the driver and every peer: steady
                       (default) fixes its mmap and trim thresholds (32 and
                       64 MiB), so a transport that allocates per message
                       (gRPC, ZeroMQ, the brokers' clients) pays the same
                       in every run; glibc leaves glibc's own adjustment,
                       which made such figures change several-fold between
                       runs
  --cpus=SPEC          one placement: cross (default: the two lowest
                       allowed CPUs on different cores), a preset as in
                       --placement, A,B (driver on A, peer on B), none
  --timeout=SECONDS    per benchmark run, 1 to 86400 (default 60); a peer
                       that does not finish in time is killed and the
                       benchmark fails. It covers starting the peer,
                       connecting and the whole run, so it is at least 1 s
  --serve[=ADDR:PORT]  run the server of two-host runs on this host
                       (default 0.0.0.0:7300); it starts the peer of each
                       benchmark a driver asks for, one driver at a time
  --remote=HOST:PORT   run the peers on the server at HOST:PORT (transports
                       with a network form: tcp, udp, zmq_tcp, grpc_*_tcp,
                       nats_*); --cpus=N is then this side's CPU
  --remote-cpus=LIST   the peers' CPUs on the server (one per pair)
  --token=SECRET       the shared secret of --serve and --remote, at least
                       16 characters (default: $IPCBENCH_TOKEN, preferred:
                       a flag shows in the process list)
  --out=PATH           results file (default results/<UTC stamp>/results.json,
                       in a new directory per run); never replaces anything
                       but a regular file
  --quiet              no progress on stderr (by default: a status line with
                       the ETA on a terminal, else a line every 10 s); the
                       summary at the end still goes to stdout (to stderr
                       with --benchmark_format=json or csv)
  --list               list transports and their capabilities, then exit
  --cleanup            remove IPC objects left by ipcbench runs that died
                       (objects of running ipcbench processes are kept)
  --help               this text

Google Benchmark's flags (version 1.7.1) pass through, checked first:
  --benchmark_filter=REGEX        POSIX extended regex; -REGEX leaves out
                                  what it matches
  --benchmark_repetitions=N       1 to 1000000
  --benchmark_min_time=SECONDS    > 0, a plain number such as 0.5 (no suffix)
  --benchmark_min_warmup_time=SECONDS   >= 0
  --benchmark_format=console|json|csv, --benchmark_out_format=console|json|csv
  --benchmark_out=FILE            a regular file in an existing, writable
                                  directory; not the --out file
  --benchmark_color=auto|true|false
  --benchmark_time_unit=ns|us|ms|s
  --benchmark_context=key=value,...   keys other than Google Benchmark's own
  --benchmark_list_tests, --benchmark_enable_random_interleaving,
  --benchmark_report_aggregates_only, --benchmark_display_aggregates_only,
  --benchmark_counters_tabular    booleans: alone for true, or =true|false
                                  (also yes/no, on/off, 1/0, t/f, y/n)
  --v=N                           Google Benchmark's log verbosity, 0 or more
  (--benchmark_perf_counters is refused: this build cannot read them)
Google Benchmark also reads each of these from the environment when the flag
is not given (BENCHMARK_FORMAT, ..., V); those values are checked the same way.
)";
}

}  // namespace ipcb::bench
