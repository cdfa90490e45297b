// Registers one Google Benchmark case per scenario x transport[:wait] x size
// and runs each case: a fresh peer per invocation, the scenario's timed loop,
// counters, and a record (distribution, CPUs, applied settings) for the
// results file, linked to Google Benchmark's run by the ipcb_record_id counter.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "bench/options.hpp"
#include "bench/record_store.hpp"

namespace ipcb::bench {

struct RunSettings {
  std::string executable;  // ipcbench binary used for peers
  Options options;
  // Called (and never returns) once a case has cleaned up after a stop
  // signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT): saves the partial results and
  // exits 128 + signal.
  std::function<void(int signal_number)> on_interrupt;
  // Called with the case's name before it starts (may be empty).
  std::function<void(const std::string& name)> on_case_start;
};

// Returns the number of cases registered.
int register_cases(const RunSettings& settings, RecordStore& store);

// The benchmark name: "pingpong/pipe/64", "pingpong/shm_ring:spin/64".
std::string case_name(const std::string& scenario, const std::string& transport,
                      const std::string& wait, bool show_wait,
                      std::size_t bytes);

}  // namespace ipcb::bench
