// Registers one Google Benchmark case per scenario x transport[:wait] x size
// and runs each case: a fresh peer per invocation, the scenario's timed loop,
// counters, and a record (distribution, CPUs, applied settings) for the
// results file, linked to Google Benchmark's run by the ipcb_record_id counter.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "bench/options.hpp"

namespace ipcb::bench {

inline constexpr const char* kRecordCounter = "ipcb_record_id";

// Records of benchmark invocations, by id; each record has a "name".
// Google Benchmark reports only the last invocation of a case, so taking a
// record drops the older ones of the same name. Error runs carry no
// counters, hence take_first_failed(name): with repetitions Google Benchmark
// reports them together, in order, and each repetition's invocations end in
// one failed or skipped record. Thread-safe.
class RecordStore {
 public:
  std::int64_t add(nlohmann::ordered_json record);
  std::optional<nlohmann::ordered_json> take(std::int64_t id);
  // The oldest record of that name holding "error" or "skipped".
  std::optional<nlohmann::ordered_json> take_first_failed(
      const std::string& name);

 private:
  std::mutex mu_;
  std::int64_t next_ = 1;
  std::map<std::int64_t, nlohmann::ordered_json> records_;
};

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
