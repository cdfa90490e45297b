// Registry of scenarios by name. Adding a scenario: write
// bench/scenarios/<name>.cpp (a class implementing bench::Scenario, see
// bench/scenario.hpp), declare its entry function below, add one line to
// registry.cpp and the file to CMakeLists.txt.
#pragma once

#include <string>
#include <vector>

#include "bench/scenario.hpp"

namespace ipcb::bench {

// Every registered scenario, in listing order: the built-in ones, then any
// added with add_scenario().
const std::vector<const Scenario*>& all_scenarios();
// nullptr when no scenario has that name.
const Scenario* find_scenario(const std::string& name);
// Throws std::invalid_argument when no scenario has that name.
const Scenario& scenario_named(const std::string& name);
// The listed scenarios' names, in order: what --scenarios accepts and runs
// by default.
std::vector<std::string> scenario_names();
bool is_scenario(const std::string& name);  // a listed one

// Adds `s` (which must outlive every use) after the built-in scenarios, for
// a program that brings its own, such as a test's: from a static
// initialiser, before main() runs. Throws std::invalid_argument if the name
// is taken.
void add_scenario(const Scenario& s);

// Entry points, one per scenario file.
const Scenario& pingpong_scenario();
const Scenario& stream_scenario();
const Scenario& oneway_scenario();
const Scenario& rate_scenario();
const Scenario& fanin_scenario();
const Scenario& fanout_scenario();
const Scenario& conformance_scenario();

// The conformance scenario's driver, which tests call directly: byte-exact
// round trips of each of job.sizes. Throws std::runtime_error naming the
// size and the first bad byte.
void drive_conformance(transports::Transport& t, const Job& job);

}  // namespace ipcb::bench
