// ipcbench: IPC latency and throughput between two pinned processes, on
// Google Benchmark. `ipcbench --help` for flags; `ipcbench --peer ...` is the
// peer mode that the harness starts (never run by hand).
//
// The driver: parse the flags, plan the cases (bench/plan via
// bench/cases), run them under Google Benchmark, report (bench/reporter
// writes the results file after every benchmark).
#include <signal.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <iostream>
#include <mutex>
#include <sstream>

#include "bench/baseline.hpp"
#include "bench/cases.hpp"
#include "bench/display.hpp"
#include "bench/housekeeping.hpp"
#include "bench/options.hpp"
#include "bench/peer.hpp"
#include "bench/plan.hpp"
#include "bench/remote.hpp"
#include "bench/reporter.hpp"
#include "bench/serve.hpp"
#include "bench/status_line.hpp"
#include "bench/summary.hpp"
#include "bench/warnings.hpp"
#include "harness/cleanup.hpp"
#include "harness/clock.hpp"
#include "harness/environment.hpp"
#include "harness/malloc_policy.hpp"
#include "harness/pair.hpp"
#include "harness/remote_auth.hpp"
#include "harness/rescue.hpp"
#include "harness/tsc.hpp"
#include "results/distributions.hpp"
#include "results/results_file.hpp"
#include "sys/cancel.hpp"
#include "transports/iceoryx_roudi.hpp"

namespace {

using namespace ipcb;
using nlohmann::ordered_json;

// How long the driver may stay in a call after the run was cancelled before
// the last resort ends it (harness/rescue.hpp).
constexpr std::chrono::seconds kStuckGrace{5};

std::string self_path() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "/proc/self/exe";
  return std::string(buf, static_cast<std::size_t>(n));
}

void on_stop_signal(int sig) { sys::request_stop(sig); }

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

std::string signal_name(int sig) {
  return std::string("SIG") + sigabbrev_np(sig);
}

// Hands Google Benchmark its flags, but --benchmark_out (taken into `out`).
// `gb_args` must outlive the run: Google Benchmark keeps argv[0]. False
// (said on stderr) when a flag is unknown to it.
bool init_benchmark(const char* argv0, const bench::Options& opt,
                    std::vector<std::string>& gb_args,
                    bench::BenchmarkOut& out) {
  gb_args = {argv0};
  gb_args.insert(gb_args.end(), opt.passthrough.begin(), opt.passthrough.end());
  out = bench::take_benchmark_out(gb_args, opt.passthrough);
  std::vector<char*> gb_argv;
  for (auto& a : gb_args) gb_argv.push_back(a.data());
  int gb_argc = static_cast<int>(gb_argv.size());
  gb_argv.push_back(nullptr);
  benchmark::Initialize(&gb_argc, gb_argv.data());
  if (gb_argc <= 1) return true;
  std::cerr << "ipcbench: unknown Google Benchmark flag '" << gb_argv[1]
            << "'; see ipcbench --help\n";
  return false;
}

// False (said on stderr) unless both output files may be written.
bool outputs_writable(const std::string& out, const std::string& gb_out) {
  try {
    if (!out.empty()) results::check_target(out);
    if (!out.empty()) results::check_target(results::side_file_path(out));
    if (!gb_out.empty()) results::check_target(gb_out);
    return true;
  } catch (const std::exception& e) {
    std::cerr << "ipcbench: " << e.what() << "\n";
    return false;
  }
}

// This host's environment (kernel, CPU, topology, clocks, build).
nlohmann::json environment_json(
    const harness::ClockInfo& clock = harness::measure_clock()) {
  return harness::capture_environment(
      {IPCB_COMPILER, IPCB_CXX_FLAGS, IPCB_BUILD_TYPE, IPCB_SOURCE_DIR}, clock,
      harness::round_trip_timer());
}

// --remote: the session with the server, connected and authenticated.
std::unique_ptr<bench::RemoteSession> connect_remote(
    const bench::Options& opt) {
  auto session = std::make_unique<bench::RemoteSession>(
      harness::parse_host_port(opt.remote, "--remote", false),
      harness::choose_token(opt.token));
  session->channel(static_cast<int>(opt.timeout_s * 1000));
  return session;
}

// The ipcbench block's start: schema, command line, environment,
// placement and the run's warnings.
ordered_json results_block(int argc, char** argv, const bench::Options& opt,
                           const harness::CleanupReport& stale,
                           const bench::RemoteSession* remote,
                           const std::string& malloc_refused) {
  harness::ClockInfo clock = harness::measure_clock();
  ordered_json block;
  block["schema_version"] = results::kSchemaVersion;
  block["command_line"] = std::vector<std::string>(argv, argv + argc);
  block["environment"] = environment_json(clock);
  block["placement"] = bench::placement_json(opt.placement);
  if (remote) {
    block["remote"] = remote->welcome();
    block["remote"]["server"] = remote->server().text();
  }
  block["placement"]["note"] = opt.placement.note;
  const bench::RunFacts facts{
      harness::environment_warnings(block["environment"]), stale.removed.size(),
      stale.refused.size(), harness::machine_topology(),
      harness::initial_cpus()};
  block["warnings"] = bench::run_warnings(opt, facts);
  block["malloc"] = harness::malloc_policy_json(opt.malloc, malloc_refused);
  if (opt.malloc == harness::MallocPolicy::kGlibc) {
    block["warnings"].push_back(
        "--malloc=glibc: glibc adjusts its mmap threshold as blocks are "
        "freed, so figures of transports that allocate per message (gRPC, "
        "ZeroMQ, the brokers' clients) can change several-fold between "
        "runs");
  }
  if (!malloc_refused.empty()) {
    block["warnings"].push_back("--malloc=steady was not applied: " +
                                malloc_refused);
  }
  return block;
}

// The case that runs now, for the last resort (set from the case's thread,
// read from the rescue thread).
struct CurrentCase {
  std::mutex mu;
  std::string name;
  ordered_json settings;
};

// The last resort (harness/rescue.hpp): records the stuck case as failed,
// saves what it can, removes this process's IPC objects, exits.
[[noreturn]] void abandon_run(bench::ResultsReporter& reporter,
                              bench::ProgressDisplay& progress,
                              const std::string& out, CurrentCase& current,
                              const std::string& cause) {
  progress.finish();
  std::string name;
  ordered_json case_settings;
  {
    std::lock_guard lock(current.mu);
    name = current.name;
    case_settings = current.settings;
  }
  const std::string error =
      "the driver stayed stuck for " + std::to_string(kStuckGrace.count()) +
      " s in a transport call after the run was cancelled (" + cause +
      "): a library wait that neither the timeout nor a signal ends, such "
      "as a process-shared condition variable whose waiter was killed; "
      "the run was ended";
  const int sig = sys::stop_signal();
  const bool saved = reporter.save_abandoned(
      name, case_settings, error, sig ? signal_name(sig) : "driver stuck",
      std::chrono::seconds(2));
  const auto removed = harness::remove_objects_of(::getpid());
  std::cout.flush();
  std::cerr << "ipcbench: " << name << ": " << error << "; "
            << (saved
                    ? "results so far saved in " + out + " (marked incomplete)"
                    : "the results file keeps its last snapshot")
            << ", " << removed.removed.size()
            << " IPC object(s) removed. Leave this benchmark out "
               "(--transports, --benchmark_filter) to run the rest\n";
  std::_Exit(sig ? 128 + sig : 1);
}

// Saves the partial results on a stop signal; keeps the current case and
// shows it on the progress line.
void install_hooks(bench::RunSettings& settings,
                   bench::ResultsReporter& reporter,
                   bench::ProgressDisplay& progress, CurrentCase& current) {
  const std::string out = settings.options.out;
  settings.on_interrupt = [&reporter, &progress, out](int sig) {
    progress.finish();
    transports::iceoryx::stop_roudi();  // _Exit below runs no atexit handler
    reporter.save_interrupted(sigabbrev_np(sig) ? signal_name(sig) : "signal");
    std::cout.flush();
    std::cerr << "ipcbench: interrupted by SIG" << sigabbrev_np(sig)
              << "; results so far saved in " << out
              << " (marked incomplete)\n";
    std::_Exit(128 + sig);
  };
  settings.on_case_start = [&current, &progress](
                               const std::string& name,
                               const ordered_json& case_settings) {
    progress.started(name);
    std::lock_guard lock(current.mu);
    current.name = name;
    current.settings = case_settings;
  };
}

// The exit status once the benchmarks ran, after saying why on stderr.
int finish(bench::ResultsReporter& reporter, std::size_t ran,
           const std::string& made_dir, const std::string& out,
           const std::string& gb_errors) {
  if (ran == 0 && !reporter.wrote()) {
    if (!made_dir.empty()) ::rmdir(made_dir.c_str());  // nothing to keep
    std::cerr << "ipcbench: no benchmark matched; check --transports, "
                 "--scenarios, --sizes, --wait and --benchmark_filter\n";
    return 2;
  }
  // Only listed (--benchmark_list_tests): the run directory made for the
  // results stays empty, so it goes.
  if (!reporter.wrote() && !made_dir.empty()) ::rmdir(made_dir.c_str());
  std::cerr << gb_errors;
  if (const std::string error = reporter.save_error(); !error.empty()) {
    std::cerr << "ipcbench: the results file is not up to date: " << error
              << (reporter.wrote() ? " (it holds an earlier snapshot)" : "")
              << "\n";
    return 1;
  }
  if (reporter.wrote())
    std::cerr << "ipcbench: results written to " << out << "\n";
  if (int sig = sys::stop_signal()) {
    std::cerr << "ipcbench: interrupted by SIG" << sigabbrev_np(sig) << "\n";
    return 128 + sig;
  }
  if (reporter.failures() == 0) return 0;
  std::cerr << "ipcbench: " << reporter.failures()
            << " benchmark(s) failed (also under \"failures\" in the "
               "results file):\n";
  for (const auto& line : reporter.failure_lines())
    std::cerr << "  " << line << "\n";
  return 1;
}

// The summary (bench/summary.hpp) once benchmarks were reported: on
// stdout under the console display, on stderr when stdout holds JSON or
// CSV.
void print_summary(const bench::ResultsReporter& reporter,
                   const bench::ProgressDisplay& progress,
                   const bench::Options& opt) {
  const ordered_json block = reporter.block();
  if (block["benchmarks"].empty() && block["failures"].empty() &&
      block["skipped"].empty())
    return;  // nothing ran (--benchmark_list_tests)
  const std::string text = bench::summary_text(
      block, progress.elapsed_s(), {reporter.wrote() ? opt.out : "", ""});
  const bool console = bench::gb_setting(opt.passthrough, "--benchmark_format",
                                         "console") == "console";
  std::cout.flush();
  (console ? std::cout : std::cerr) << "\n" << text << std::flush;
}

// Registers the plan (baselines and cases) and runs it under Google
// Benchmark, with the reporter, the stop hooks and the last resort; the
// exit status.
int run_benchmarks(bench::RunSettings& settings, const ordered_json& block,
                   const bench::BenchmarkOut& gb_out,
                   const std::string& made_dir, const bench::BudgetPlan& plan) {
  const bench::Options& opt = settings.options;
  const bool listing = bench::gb_true(
      bench::gb_setting(opt.passthrough, "--benchmark_list_tests", "false"));
  if (!opt.quiet && !listing && plan.benchmarks > 0)
    std::cerr << "ipcbench: " << bench::plan_text(plan) << "\n";
  bench::RecordStore store;
  bench::register_baselines(settings, store);
  bench::register_cases(settings, store);
  bench::ProgressDisplay progress(
      bench::ProgressDisplay::mode_for(opt.quiet),
      bench::planned_benchmarks(opt),
      bench::plan_timing(opt.passthrough).repetitions);
  bench::ResultsReporter reporter(bench::make_display(opt.passthrough), opt.out,
                                  block, store);
  if (!gb_out.path.empty()) {
    reporter.add_file_output(
        gb_out.path,
        bench::make_reporter(gb_out.format, opt.passthrough, false));
  }
  reporter.set_progress(&progress);
  CurrentCase current;
  install_hooks(settings, reporter, progress, current);
  harness::Rescue rescue(kStuckGrace, [&](const std::string& cause) {
    abandon_run(reporter, progress, opt.out, current, cause);
  });
  // Google Benchmark's own errors go through the display reporter's error
  // stream; hold them so that a filter matching nothing gives one line.
  std::ostringstream gb_errors;
  reporter.SetErrorStream(&gb_errors);
  std::size_t ran = 0;
  try {
    ran = benchmark::RunSpecifiedBenchmarks(&reporter);
  } catch (const std::exception& e) {
    progress.finish();
    std::cerr << "ipcbench: " << e.what() << "\n";
    return 1;
  }
  progress.finish();
  benchmark::Shutdown();
  if (ran > 0) print_summary(reporter, progress, opt);
  return finish(reporter, ran, made_dir, opt.out, gb_errors.str());
}

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
  // Before any transport; the peers apply it from their job.
  const std::string malloc_refused = harness::apply_malloc_policy(opt.malloc);
  if (opt.help) {
    std::cout << bench::usage();
    return 0;
  }
  if (opt.list) {
    bench::print_list();
    return 0;
  }
  if (opt.cleanup) return bench::run_cleanup();
  if (opt.serve) {
    harness::choose_round_trip_timer(opt.timer);
    return bench::run_server(opt, self_path(), environment_json());
  }
  std::unique_ptr<bench::RemoteSession> remote;
  if (!opt.remote.empty()) {
    try {
      remote = connect_remote(opt);
    } catch (const std::exception& e) {
      std::cerr << "ipcbench: --remote: " << e.what() << "\n";
      return dynamic_cast<const std::invalid_argument*>(&e) ? 2 : 1;
    }
    settings.remote = remote.get();
  }
  bench::BudgetPlan plan;
  try {
    plan = bench::apply_budget(settings.options);
  } catch (const bench::BudgetTooSmall& e) {
    std::cerr << "ipcbench: " << e.what() << "\n";
    return 2;
  }
  std::vector<std::string> gb_args;
  bench::BenchmarkOut gb_out;
  if (!init_benchmark(argv[0], opt, gb_args, gb_out)) return 2;
  if (!outputs_writable(opt.out, gb_out.path)) return 2;
  harness::choose_round_trip_timer(opt.timer);  // calibrates, ~50 ms
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
  bench::remove_results_temporaries(opt.out, stale);
  ordered_json block =
      results_block(argc, argv, opt, stale, remote.get(), malloc_refused);
  block["plan"] = bench::plan_json(plan, opt);
  return run_benchmarks(settings, block, gb_out, made_dir, plan);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "--peer") == 0 &&
      std::strncmp(argv[2], "--peer-ctl-fd=", 14) == 0) {
    return ipcb::bench::run_peer(std::atoi(argv[2] + 14));
  }
  return run_driver(argc, argv);
}
