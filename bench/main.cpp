// ipcbench: IPC latency and throughput between two pinned processes, on
// Google Benchmark. `ipcbench --help` for flags; `ipcbench --peer ...` is the
// peer mode that the harness starts (never run by hand).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>

#include "bench/baseline.hpp"
#include "bench/cases.hpp"
#include "bench/options.hpp"
#include "bench/peer.hpp"
#include "bench/reporter.hpp"
#include "harness/cleanup.hpp"
#include "harness/clock.hpp"
#include "harness/environment.hpp"
#include "harness/pair.hpp"
#include "harness/rescue.hpp"
#include "results/results_file.hpp"
#include "transports/registry.hpp"

namespace {

using namespace ipcb;

std::string self_path() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "/proc/self/exe";
  return std::string(buf, static_cast<std::size_t>(n));
}

void print_list() {
  std::printf("%-14s %-10s %-9s %-11s %-9s %s\n", "transport", "max_msg",
              "bounds", "waits", "fanin", "description / limits");
  for (const auto& t : transports::all_transports()) {
    std::string waits;
    for (auto w : t.caps.waits)
      waits += waits.empty() ? "" : ",", waits += transports::to_string(w);
    std::string max = t.caps.max_message_bytes
                          ? std::to_string(t.caps.max_message_bytes)
                          : "any";
    const std::size_t fan = t.caps.fanin_max_bytes;
    std::string fanin = fan == 0                      ? "no"
                        : fan == transports::kAnySize ? "any"
                                                      : std::to_string(fan);
    auto why = t.unavailable_reason ? t.unavailable_reason() : std::nullopt;
    std::printf("%-14s %-10s %-9s %-11s %-9s %s%s\n", t.name.c_str(),
                max.c_str(), t.caps.preserves_boundaries ? "kept" : "stream",
                waits.c_str(), fanin.c_str(), t.description.c_str(),
                why ? (" [UNAVAILABLE: " + *why + "]").c_str() : "");
    std::printf("%-57s limits: %s\n", "", t.caps.limits.c_str());
  }
}

// "posix_mq: ... 16384, 65536 B are sent as several queue messages ...",
// when a kernel limit caps the unit below some selected sizes.
std::optional<std::string> fragmentation_warning(
    const transports::TransportInfo& t, const std::vector<std::size_t>& sizes) {
  const std::size_t limit = t.caps.fragment_above_bytes;
  std::string above;
  for (std::size_t s : sizes) {
    if (limit == 0 || s <= limit) continue;
    if (!above.empty()) above += ", ";
    above += std::to_string(s);
  }
  if (above.empty()) return std::nullopt;
  return t.name + ": a kernel limit caps one message unit at " +
         std::to_string(limit) + " B, so messages of " + above +
         " B are fragmented (the figures include it); to measure them whole "
         "raise " +
         t.caps.fragment_knob;
}

// Shows results the way Google Benchmark's own display would, from the same
// (checked) flags and environment: format, color (auto: when stdout is a
// terminal) and tabular counters (on unless turned off).
// A Google Benchmark reporter for `format` (console, json or csv); the
// console's colour and tabular counters as the passthrough flags say.
std::unique_ptr<benchmark::BenchmarkReporter> make_reporter(
    const std::string& format, const std::vector<std::string>& passthrough,
    bool may_use_color) {
  if (format == "json") return std::make_unique<benchmark::JSONReporter>();
  if (format == "csv") {
    // Deprecated upstream but still offered by --benchmark_format=csv.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    return std::make_unique<benchmark::CSVReporter>();
#pragma GCC diagnostic pop
  }
  const std::string color =
      bench::gb_setting(passthrough, "--benchmark_color", "auto");
  const bool use_color =
      may_use_color &&
      (color == "auto" ? ::isatty(STDOUT_FILENO) == 1 : bench::gb_true(color));
  const bool tabular = bench::gb_true(
      bench::gb_setting(passthrough, "--benchmark_counters_tabular", "true"));
  int opts = benchmark::ConsoleReporter::OO_None;
  if (use_color) opts |= benchmark::ConsoleReporter::OO_Color;
  if (tabular) opts |= benchmark::ConsoleReporter::OO_Tabular;
  return std::make_unique<benchmark::ConsoleReporter>(
      static_cast<benchmark::ConsoleReporter::OutputOptions>(opts));
}

std::unique_ptr<benchmark::BenchmarkReporter> make_display(
    const std::vector<std::string>& passthrough) {
  return make_reporter(
      bench::gb_setting(passthrough, "--benchmark_format", "console"),
      passthrough, true);
}

// Google Benchmark would open --benchmark_out itself (following links,
// truncating whatever is there): ipcbench takes the flag and its format
// (also from BENCHMARK_OUT / BENCHMARK_OUT_FORMAT) out of Google
// Benchmark's hands and writes that file as it writes its own.
struct BenchmarkOut {
  std::string path, format;
};
BenchmarkOut take_benchmark_out(std::vector<std::string>& gb_args,
                                const std::vector<std::string>& passthrough) {
  BenchmarkOut out{
      bench::gb_setting(passthrough, "--benchmark_out", ""),
      bench::gb_setting(passthrough, "--benchmark_out_format", "json")};
  std::erase_if(gb_args, [](const std::string& a) {
    return a.rfind("--benchmark_out=", 0) == 0 ||
           a.rfind("--benchmark_out_format=", 0) == 0;
  });
  ::unsetenv("BENCHMARK_OUT");
  ::unsetenv("BENCHMARK_OUT_FORMAT");
  return out;
}

// Results temporaries a killed driver may have left: "<out>.tmp.<pid>..."
// next to --out (when given) and "results.json.tmp.<pid>..." in every run
// directory under ./results.
results::TemporaryCleanup remove_results_temporaries(const std::string& out) {
  std::vector<std::pair<std::string, std::string>> places;
  if (!out.empty()) {
    const auto slash = out.rfind('/');
    if (slash == std::string::npos)
      places.emplace_back(".", out);
    else
      places.emplace_back(slash == 0 ? "/" : out.substr(0, slash),
                          out.substr(slash + 1));
  }
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("results", ec)) {
    if (e.is_directory(ec) && !e.is_symlink(ec))
      places.emplace_back(e.path().string(), "results.json");
  }
  results::TemporaryCleanup all;
  for (const auto& [dir, base] : places) {
    auto r = results::remove_stale_temporaries(dir, base);
    all.removed.insert(all.removed.end(), r.removed.begin(), r.removed.end());
    all.refused.insert(all.refused.end(), r.refused.begin(), r.refused.end());
  }
  return all;
}

int run_cleanup() {
  harness::CleanupReport r = harness::remove_stale_objects();
  const results::TemporaryCleanup tmp = remove_results_temporaries("");
  for (const auto& path : tmp.removed)
    r.removed.push_back("results temporary " + path);
  for (const auto& what : r.removed) std::cout << "removed " << what << "\n";
  for (const auto& what : tmp.refused)
    r.refused.push_back("results temporary " + what);
  for (const auto& what : r.refused) std::cout << "refused " << what << "\n";
  for (const auto& what : r.failed)
    std::cerr << "ipcbench: could not remove " << what << "\n";
  std::cout << "ipcbench --cleanup: removed " << r.removed.size()
            << " stale object(s) of dead ipcbench runs";
  if (!r.refused.empty()) {
    std::cout << "; refused " << r.refused.size()
              << " entr(y/ies) that this user's runs did not make or that "
                 "are not safe to trust (reasons above)";
  }
  std::cout << "\n";
  return r.failed.empty() ? 0 : 1;
}

void on_stop_signal(int sig) { transports::request_stop(sig); }

// Ctrl-C, kill, a closed terminal or SSH session, Ctrl-\: each ends the run
// the same way (results saved and marked, objects removed, 128 + signal).
void install_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocked transport call returns EINTR
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT})
    ::sigaction(sig, &sa, nullptr);
}

// How long the driver may stay in a call after the run was cancelled before
// the last resort ends it (harness/rescue.hpp).
constexpr std::chrono::seconds kStuckGrace{5};

int run_driver(int argc, char** argv) {
  harness::initial_cpus();  // capture the mask before anything is pinned
  bench::RunSettings settings;
  try {
    settings.options = bench::parse_options({argv + 1, argv + argc});
  } catch (const bench::UsageError& e) {
    std::cerr << "ipcbench: " << e.what() << "\n";
    return 2;
  }
  const bench::Options& opt = settings.options;
  if (opt.help) {
    std::cout << bench::usage();
    return 0;
  }
  if (opt.list) {
    print_list();
    return 0;
  }
  if (opt.cleanup) return run_cleanup();
  std::vector<std::string> gb_args = {argv[0]};
  gb_args.insert(gb_args.end(), opt.passthrough.begin(), opt.passthrough.end());
  const BenchmarkOut gb_out = take_benchmark_out(gb_args, opt.passthrough);
  std::vector<char*> gb_argv;
  for (auto& a : gb_args) gb_argv.push_back(a.data());
  int gb_argc = static_cast<int>(gb_argv.size());
  gb_argv.push_back(nullptr);
  benchmark::Initialize(&gb_argc, gb_argv.data());
  if (gb_argc > 1) {
    std::cerr << "ipcbench: unknown Google Benchmark flag '" << gb_argv[1]
              << "'; see ipcbench --help\n";
    return 2;
  }
  try {
    if (!opt.out.empty()) results::check_target(opt.out);
    if (!gb_out.path.empty()) results::check_target(gb_out.path);
  } catch (const std::exception& e) {
    std::cerr << "ipcbench: " << e.what() << "\n";
    return 2;
  }
  harness::install_driver_signals();
  install_stop_signals();
  settings.executable = self_path();
  harness::CleanupReport stale = harness::remove_stale_objects();
  std::string made_dir;  // the run directory made here, if any
  if (settings.options.out.empty()) {
    try {
      made_dir = results::make_run_directory("results");
      settings.options.out = made_dir + "/results.json";
    } catch (const std::exception& e) {
      std::cerr << "ipcbench: " << e.what() << "; give --out=PATH\n";
      return 1;
    }
  }
  const results::TemporaryCleanup tmp = remove_results_temporaries(opt.out);
  for (const auto& path : tmp.removed)
    stale.removed.push_back("results temporary " + path);
  for (const auto& what : tmp.refused)
    stale.refused.push_back("results temporary " + what);

  harness::ClockInfo clock = harness::measure_clock();
  nlohmann::ordered_json block;
  block["schema_version"] = results::kSchemaVersion;
  block["command_line"] = std::vector<std::string>(argv, argv + argc);
  block["environment"] = harness::capture_environment(
      {IPCB_COMPILER, IPCB_CXX_FLAGS, IPCB_BUILD_TYPE, IPCB_SOURCE_DIR}, clock);
  block["placement"] = {{"preset", opt.placement.preset},
                        {"driver_cpu", opt.placement.driver_cpu},
                        {"peer_cpu", opt.placement.peer_cpu},
                        {"note", opt.placement.note}};
  auto warnings = harness::environment_warnings(block["environment"]);
  if (!opt.placement.note.empty()) warnings.push_back(opt.placement.note);
  bool spin_selected = false;
  for (const auto& name : opt.transports) {
    for (auto w : transports::find_transport(name)->caps.waits)
      spin_selected |= w == transports::Wait::kSpin;
  }
  spin_selected &=
      std::find(opt.waits.begin(), opt.waits.end(), "spin") != opt.waits.end();
  for (const auto& p : opt.placements) {
    if (spin_selected && p.driver_cpu >= 0 && p.driver_cpu == p.peer_cpu) {
      warnings.push_back(
          "spin waits with both sides on one CPU (" + p.name() +
          "): a spinner gives the CPU up only when preempted, so these "
          "figures measure scheduler time slices, not the transport; use "
          "--wait=block for same-CPU runs");
      break;
    }
  }
  if (const auto cpus = harness::initial_cpus().size();
      2 * static_cast<std::size_t>(opt.pairs) > cpus) {
    warnings.push_back("--pairs=" + std::to_string(opt.pairs) + " runs " +
                       std::to_string(2 * opt.pairs) + " processes on " +
                       std::to_string(cpus) +
                       " CPUs: oversubscribed, so aggregate figures include "
                       "scheduling contention");
  }
  for (const auto& name : opt.transports) {
    if (auto w =
            fragmentation_warning(*transports::find_transport(name), opt.sizes))
      warnings.push_back(*w);
  }
  if (std::find(opt.scenarios.begin(), opt.scenarios.end(), "fanin") !=
      opt.scenarios.end()) {
    const int most = opt.producers.back();
    if (const auto cpus = harness::initial_cpus().size();
        static_cast<std::size_t>(most) + 1 > cpus) {
      warnings.push_back(
          "fanin with up to " + std::to_string(most) + " producers runs " +
          std::to_string(most + 1) + " processes on " + std::to_string(cpus) +
          " CPUs: oversubscribed, so producers take turns on their CPU and "
          "the figures include scheduling contention");
    }
  }
  if (!stale.removed.empty()) {
    warnings.push_back("removed " + std::to_string(stale.removed.size()) +
                       " IPC object(s) left by ipcbench runs that died "
                       "(run ipcbench --cleanup to see them listed)");
  }
  if (!stale.refused.empty()) {
    warnings.push_back(
        "refused to remove " + std::to_string(stale.refused.size()) +
        " entr(y/ies) named like IPC objects of dead ipcbench runs that this "
        "user's runs did not make or that are not safe to trust; run "
        "ipcbench --cleanup to list them with the reasons");
  }
  block["warnings"] = warnings;

  bench::RecordStore store;
  bench::register_baselines(settings, store);
  bench::register_cases(settings, store);
  bench::ResultsReporter reporter(make_display(opt.passthrough), opt.out, block,
                                  store);
  if (!gb_out.path.empty()) {
    reporter.add_file_output(
        gb_out.path, make_reporter(gb_out.format, opt.passthrough, false));
  }
  settings.on_interrupt = [&reporter, &opt](int sig) {
    reporter.save_interrupted(
        sigabbrev_np(sig) ? std::string("SIG") + sigabbrev_np(sig) : "signal");
    std::cout.flush();
    std::cerr << "ipcbench: interrupted by SIG" << sigabbrev_np(sig)
              << "; results so far saved in " << opt.out
              << " (marked incomplete)\n";
    std::_Exit(128 + sig);
  };
  std::mutex case_mutex;
  std::string current_case;
  nlohmann::ordered_json current_settings;
  settings.on_case_start = [&](const std::string& name,
                               const nlohmann::ordered_json& case_settings) {
    std::lock_guard lock(case_mutex);
    current_case = name;
    current_settings = case_settings;
  };
  harness::Rescue rescue(kStuckGrace, [&](const std::string& cause) {
    std::string name;
    nlohmann::ordered_json case_settings;
    {
      std::lock_guard lock(case_mutex);
      name = current_case;
      case_settings = current_settings;
    }
    const std::string error =
        "the driver stayed stuck for " + std::to_string(kStuckGrace.count()) +
        " s in a transport call after the run was cancelled (" + cause +
        "): a library wait that neither the timeout nor a signal ends, such "
        "as a process-shared condition variable whose waiter was killed; "
        "the run was ended";
    const int sig = transports::stop_signal();
    const bool saved = reporter.save_abandoned(
        name, case_settings, error,
        sig ? std::string("SIG") + sigabbrev_np(sig) : "driver stuck",
        std::chrono::seconds(2));
    const auto removed = harness::remove_objects_of(::getpid());
    std::cout.flush();
    std::cerr << "ipcbench: " << name << ": " << error << "; "
              << (saved ? "results so far saved in " + opt.out +
                              " (marked incomplete)"
                        : "the results file keeps its last snapshot")
              << ", " << removed.removed.size()
              << " IPC object(s) removed. Leave this benchmark out "
                 "(--transports, --benchmark_filter) to run the rest\n";
    std::_Exit(sig ? 128 + sig : 1);
  });
  // Google Benchmark's own errors go through the display reporter's error
  // stream; hold them so that a filter matching nothing gives one line.
  std::ostringstream gb_errors;
  reporter.SetErrorStream(&gb_errors);
  std::size_t ran = 0;
  try {
    ran = benchmark::RunSpecifiedBenchmarks(&reporter);
  } catch (const std::exception& e) {
    std::cerr << "ipcbench: " << e.what() << "\n";
    return 1;
  }
  benchmark::Shutdown();
  if (ran == 0 && !reporter.wrote()) {
    if (!made_dir.empty()) ::rmdir(made_dir.c_str());  // nothing to keep
    std::cerr << "ipcbench: no benchmark matched; check --transports, "
                 "--scenarios, --sizes, --wait and --benchmark_filter\n";
    return 2;
  }
  std::cerr << gb_errors.str();
  if (const std::string error = reporter.save_error(); !error.empty()) {
    std::cerr << "ipcbench: the results file is not up to date: " << error
              << (reporter.wrote() ? " (it holds an earlier snapshot)" : "")
              << "\n";
    return 1;
  }
  if (reporter.wrote())
    std::cerr << "ipcbench: results written to " << opt.out << "\n";
  if (int sig = transports::stop_signal()) {
    std::cerr << "ipcbench: interrupted by SIG" << sigabbrev_np(sig) << "\n";
    return 128 + sig;
  }
  if (reporter.failures() > 0) {
    std::cerr << "ipcbench: " << reporter.failures()
              << " benchmark(s) failed (also under \"failures\" in the "
                 "results file):\n";
    for (const auto& line : reporter.failure_lines())
      std::cerr << "  " << line << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "--peer") == 0 &&
      std::strncmp(argv[2], "--peer-ctl-fd=", 14) == 0) {
    return ipcb::bench::run_peer(std::atoi(argv[2] + 14));
  }
  return run_driver(argc, argv);
}
