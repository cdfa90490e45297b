#include "bench/options.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

#include "bench/scenarios.hpp"
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

// Google Benchmark accepts some malformed numbers silently; refuse them here.
void check_benchmark_flag(const std::string& key, const std::string& val) {
  auto number = [&](bool integer) {
    std::size_t used = 0;
    double v = -1;
    try {
      v = std::stod(val, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    bool ok = used == val.size() && !val.empty() && v > 0 && v < 1e9 &&
              (!integer || v == static_cast<double>(static_cast<long>(v)));
    if (!ok) {
      throw UsageError(key + ": '" + val + "' is not accepted; give " +
                       (integer ? "a whole number >= 1" : "seconds > 0"));
    }
  };
  if (key == "--benchmark_repetitions") number(true);
  if (key == "--benchmark_min_time") number(false);
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

}  // namespace

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

std::vector<double> parse_rates(const std::string& text) {
  std::vector<double> rates;
  for (const auto& item : split(text, "--rate")) {
    const auto scanned = scaled_number(item, 1000);
    const double v = scanned ? static_cast<double>(*scanned) : -1;
    if (!(v >= 1 && v <= 1e8))
      throw UsageError("--rate: '" + item +
                       "' is not accepted; give messages per second from 1 "
                       "to 100M, such as 1000, 10K or 1M (K = 1000)");
    rates.push_back(v);
  }
  std::sort(rates.begin(), rates.end());
  if (std::adjacent_find(rates.begin(), rates.end()) != rates.end())
    throw UsageError("--rate: '" + text + "' names a rate twice");
  return rates;
}

std::vector<int> parse_producers(const std::string& text) {
  std::vector<int> counts;
  for (const auto& item : split(text, "--producers")) {
    const auto scanned = scaled_number(item, 1000);
    if (!scanned || *scanned < 1 || *scanned > 64)
      throw UsageError("--producers: '" + item +
                       "' is not accepted; give producer counts from 1 to "
                       "64, such as 1,2,4");
    counts.push_back(static_cast<int>(*scanned));
  }
  std::sort(counts.begin(), counts.end());
  if (std::adjacent_find(counts.begin(), counts.end()) != counts.end())
    throw UsageError("--producers: '" + text + "' names a count twice");
  return counts;
}

Options parse_options(const std::vector<std::string>& args) {
  Options o;
  std::string transports_arg, sizes_arg = "64,256,1K,4K,16K,64K,256K,1M";
  std::string scenarios_arg, waits_arg, rates_arg = "10K,100K", placement_arg;
  std::string producers_arg = "1,2,4";
  for (const auto& a : args) {
    auto eq = a.find('=');
    std::string key = a.substr(0, eq);
    std::string val = eq == std::string::npos ? "" : a.substr(eq + 1);
    auto need_value = [&] {
      if (eq == std::string::npos || val.empty())
        throw UsageError(key + ": needs a value, as in " + key + "=...");
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
    else if (a == "--verify")
      o.verify = true;
    else if (key == "--baselines") {
      need_value();
      if (val != "memcpy" && val != "none")
        throw UsageError("--baselines: '" + val +
                         "' is not accepted; use memcpy (default) or none");
      o.baselines = val == "memcpy";
    } else if (key == "--pairs") {
      need_value();
      std::size_t used = 0;
      try {
        o.pairs = std::stoi(val, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != val.size() || o.pairs < 1 || o.pairs > 64)
        throw UsageError("--pairs: '" + val +
                         "' is not accepted; give a whole number from 1 to 64");
    } else if (key == "--out")
      need_value(), o.out = val;
    else if (key == "--inject-peer-fault")
      need_value(), o.fault = val;
    else if (key == "--timeout") {
      need_value();
      std::size_t used = 0;
      try {
        o.timeout_s = std::stod(val, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != val.size() || !(o.timeout_s > 0) || o.timeout_s > 86400)
        throw UsageError("--timeout: '" + val +
                         "' is not accepted; give seconds > 0 and <= 86400");
    } else if (a == "--list")
      o.list = true;
    else if (a == "--cleanup")
      o.cleanup = true;
    else if (a == "--help" || a == "-h")
      o.help = true;
    else if (a.rfind("--benchmark_", 0) == 0 || a.rfind("--v=", 0) == 0)
      check_benchmark_flag(key, val), o.passthrough.push_back(a);
    else
      throw UsageError("unknown flag '" + a + "'; see ipcbench --help");
  }

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
  o.waits = {"block", "spin"};
  if (!waits_arg.empty()) {
    o.waits = split(waits_arg, "--wait");
    for (const auto& w : o.waits) {
      if (w != "block" && w != "spin")
        throw UsageError("--wait: unknown wait strategy '" + w +
                         "'; accepted: block, spin");
    }
  }
  if (!placement_arg.empty() && !o.cpus.empty())
    throw UsageError("--placement and --cpus both given; use one of them");
  try {
    if (placement_arg.empty()) {
      o.placements = {
          harness::resolve_placement(o.cpus, harness::initial_cpus())};
    } else {
      for (std::string item : split(placement_arg, "--placement")) {
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
  o.placement = o.placements.front();
  o.rates = parse_rates(rates_arg);
  o.producers = parse_producers(producers_arg);
  if (!o.fault.empty()) {
    try {
      Fault::parse(o.fault);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--inject-peer-fault: ") + e.what());
    }
  }
  return o;
}

std::string usage() {
  return R"(usage: ipcbench [flags] [Google Benchmark flags]

Measures IPC latency and throughput between two pinned processes.

  --transports=a,b     transports to run (default: all; see --list)
  --sizes=LIST         message sizes: 64,4K,1M and doubling ranges 64..1M
                       (default 64,256,1K,4K,16K,64K,256K,1M)
  --scenarios=a,b      pingpong, stream, oneway, rate, fanin (default: all)
  --rate=LIST          offered rates for the rate scenario, messages per
                       second (default 10K,100K; here K = 1000)
  --producers=LIST     fanin: producer processes sending to one consumer,
                       swept (default 1,2,4)
  --verify             sequence number + checksum in every message, checked
                       on receipt (off by default: fastest figures)
  --placement=LIST     sweep placements in one run: cross, same, none, A:B
  --baselines=memcpy   also time memcpy of each size, the copy floor
                       (default; none to leave it out)
  --pairs=N            N independent pairs at once (pingpong, stream):
                       per-pair and aggregate figures
  --wait=block,spin    wait strategies, for transports that offer several
  --cpus=SPEC          placement: cross (default: first two allowed CPUs),
                       same (one CPU for both), A,B (driver on A, peer on B),
                       none (no pinning)
  --timeout=SECONDS    per benchmark run; a peer that does not finish in time
                       is killed and the benchmark fails (default 60)
  --out=PATH           results file (default results/<UTC stamp>/results.json,
                       in a new directory per run); never replaces anything
                       but a regular file
  --list               list transports and their capabilities, then exit
  --cleanup            remove IPC objects left by ipcbench runs that died
                       (objects of running ipcbench processes are kept)
  --help               this text

Google Benchmark's flags pass through: --benchmark_filter=REGEX,
--benchmark_repetitions=N, --benchmark_min_time=SECONDS,
--benchmark_enable_random_interleaving=true, --benchmark_format=console|json|csv,
--benchmark_out=FILE, --benchmark_list_tests=true, ...
)";
}

}  // namespace ipcb::bench
