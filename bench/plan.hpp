// The plan of a run: one case per scenario (and its variants) x
// transport[:wait] x size x placement x capacity, named as Google Benchmark
// shows it, and why a planned case cannot run here.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bench/budget.hpp"
#include "bench/options.hpp"
#include "bench/progress.hpp"
#include "bench/scenario.hpp"
#include "harness/cpu.hpp"
#include "transports/registry.hpp"

namespace ipcb::bench {

struct Case {
  std::string name;
  const Scenario* scenario = nullptr;
  const transports::TransportInfo* info = nullptr;
  transports::Wait wait = transports::Wait::kBlock;
  std::size_t bytes = 0;
  Variant variant;
  harness::Placement placement;
  std::size_t capacity_bytes = 0;  // --capacity: 0 default, else the budget
  // The stream benchmark of the same transport, wait, size, placement and
  // capacity ("stream/pipe/64"): what a rate case is calibrated by.
  std::string stream_name;
};

// The benchmark name's suffix for a capacity mode in a --capacity sweep:
// "/capacity_default", "/capacity_equal", "/capacity_equal_4194304".
std::string capacity_suffix(std::size_t capacity_bytes);

// The benchmark name: "pingpong/pipe/64", "pingpong/shm_ring:spin/64".
std::string case_name(const std::string& scenario, const std::string& transport,
                      const std::string& wait, bool show_wait,
                      std::size_t bytes);

// Every case the options select, in the order they run.
std::vector<Case> plan_cases(const Options& opt);

// Why `cs` cannot run here with these options (its placement preset or
// the transport is unavailable, the size is beyond a limit, the scenario
// refuses the size, the transport or --pairs), or nullopt.
std::optional<std::string> skip_reason(const Case& cs, const Options& opt);

// Google Benchmark's time settings from the passthrough flags (and their
// environment variables), as parse_options checked them.
PlanTiming plan_timing(const std::vector<std::string>& passthrough);

// What the progress line plans for: the memcpy baselines and the cases,
// each with the seconds one run should take (bench/progress.hpp), kept
// to those --benchmark_filter selects.
std::vector<PlannedBenchmark> planned_benchmarks(const Options& opt);

// The run's plan and its expected time. With --budget, the minimum time
// that fits the plan into it, added to `opt.passthrough` as
// --benchmark_min_time (so that Google Benchmark and the ETA use it);
// throws BudgetTooSmall when no sensible one does.
BudgetPlan apply_budget(Options& opt);

// The plan as the results file records it (the ipcbench block's "plan").
nlohmann::ordered_json plan_json(const BudgetPlan& p, const Options& opt);

}  // namespace ipcb::bench
