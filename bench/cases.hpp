// Registers one Google Benchmark case per planned case (bench/plan.hpp) and
// runs each: a fresh run of the scenario per invocation (with --pairs, one
// per pair, at once), its counters, and a record (settings, distribution,
// CPUs, applied settings) for the results file, linked to Google
// Benchmark's run by the ipcb_record_id counter.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/options.hpp"
#include "bench/record_store.hpp"
#include "transports/transport.hpp"

namespace ipcb::bench {

class RemoteSession;

struct RunSettings {
  std::string executable;  // ipcbench binary used for peers
  Options options;
  // --remote: the session with the server where the peers run.
  RemoteSession* remote = nullptr;
  // Called (and never returns) once a case has cleaned up after a stop
  // signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT): saves the partial results and
  // exits 128 + signal.
  std::function<void(int signal_number)> on_interrupt;
  // Called before a case starts with its name and the settings that tell
  // its record apart (may be empty).
  std::function<void(const std::string& name,
                     const nlohmann::ordered_json& settings)>
      on_case_start;
};

// A placement as the results file records it: preset and CPUs, and when
// known what the CPUs share and where each sits (hwloc logical indexes of
// its core, L3, NUMA node and package; -1 when unknown), or why the preset
// is unavailable here.
nlohmann::ordered_json placement_json(const harness::Placement& place);

// A capacity as the results file records it: {"mode": "default"|"equal",
// "asked_bytes": the budget or null}; add_applied_capacity adds what the
// transport applied ("applied_bytes", null with a "reason" when the notion
// does not apply), how it was read ("source"), and, when below the asked,
// the "limit" that stopped it and the "sysctl" to raise.
nlohmann::ordered_json capacity_json(std::size_t asked);
void add_applied_capacity(nlohmann::ordered_json& j,
                          const transports::Capacity& c);

// Returns the number of cases registered.
int register_cases(const RunSettings& settings, RecordStore& store);

}  // namespace ipcb::bench
