// ResultsReporter: Google Benchmark's display reporter for ipcbench. It
// forwards every run to the chosen display (console/json/csv), keeps Google
// Benchmark's own JSON document, and after every batch of runs rewrites the
// results file atomically (Google Benchmark JSON + the ipcbench block), so a
// crash loses at most the benchmark that was running. A write that fails
// (disk full, directory removed) never stops the suite: the file keeps its
// last complete snapshot, the cause is said once on stderr, and the write is
// retried after the next benchmark; save_error() tells whether the last
// attempt failed. Saves are serialised, so save_abandoned() may be called
// from another thread while the main thread is stuck inside a benchmark.
#pragma once

#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bench/record_store.hpp"
#include "bench/status_line.hpp"
#include "harness/environment.hpp"

namespace ipcb::bench {

class ResultsReporter : public benchmark::BenchmarkReporter {
 public:
  ResultsReporter(std::unique_ptr<benchmark::BenchmarkReporter> display,
                  std::string path, nlohmann::ordered_json block,
                  RecordStore& store);

  bool ReportContext(const Context& context) override;
  void ReportRuns(const std::vector<Run>& runs) override;
  void Finalize() override;

  // Google Benchmark's --benchmark_out: the runs also go to `file` (in its
  // --benchmark_out_format), written to `path` at the end the way the
  // results file is (never through a link, never replacing a non-file).
  void add_file_output(std::string path,
                       std::unique_ptr<benchmark::BenchmarkReporter> file);

  // Marks the results incomplete ("interrupted": signal name) and saves.
  void save_interrupted(const std::string& signal_name);
  // The driver's last resort, from another thread: records `benchmark`
  // (with the settings that tell its record apart) as failed with `error`,
  // marks the results incomplete ("interrupted": `cause`) and saves. False
  // if the results could not be saved (the writer was busy for `wait`, or
  // the write failed).
  bool save_abandoned(const std::string& benchmark,
                      const nlohmann::ordered_json& settings,
                      const std::string& error, const std::string& cause,
                      std::chrono::milliseconds wait);

  // Empty when the last write of the results file succeeded, else why not.
  std::string save_error() const;

  int failures() const { return failures_; }
  // "name: error" for each failed benchmark, in order.
  std::vector<std::string> failure_lines() const;
  bool wrote() const { return wrote_; }
  // A copy of the ipcbench block as it stands (records, failures,
  // skipped, warnings), for the summary.
  nlohmann::ordered_json block() const;

  // The progress line (may be null): begun once the context is shown,
  // hidden while a row or a warning is printed, told of every run done,
  // finished before the last warnings. Set before the run starts.
  void set_progress(ProgressDisplay* progress) { progress_ = progress; }

 private:
  void save();      // caller holds mutex_
  bool try_save();  // caller holds mutex_; false after a failed write
  void note_variability(const Run& cv_run);
  // A record whose loops waited for their CPUs (rec["contention"]):
  // into block_["contended"].
  void note_contention(const std::string& name, std::int64_t repetition,
                       const nlohmann::ordered_json& rec);
  void note_steal();  // caller holds mutex_: block_["cpu_steal"] so far

  static constexpr double kMaxCv = 0.05;  // flag benchmarks above 5 %
  // The p50 latency of rate and fan-in, judged besides the time; a paced
  // run (rate) has kPacedCounter and its time is not judged.
  static constexpr const char* kLatencyCounter = "lat_p50_ns";
  static constexpr const char* kPacedCounter = "offered_per_s";
  int high_cv_ = 0;
  std::set<std::string> noted_;  // capacity warnings already given

  std::unique_ptr<benchmark::BenchmarkReporter> display_;
  ProgressDisplay* progress_ = nullptr;
  std::ostringstream json_text_;
  benchmark::JSONReporter json_;
  std::string path_;
  nlohmann::ordered_json block_;
  RecordStore& store_;
  bool finalized_ = false;
  bool wrote_ = false;
  int failures_ = 0;
  std::string save_error_;
  std::unique_ptr<benchmark::BenchmarkReporter> file_;  // --benchmark_out
  // Steal time of the allowed CPUs from the start of the run.
  std::vector<int> cpus_;
  harness::CpuTimes cpu_times_at_start_;
  std::ostringstream file_text_;
  std::string file_path_;
  mutable std::timed_mutex mutex_;  // guards everything above
};

}  // namespace ipcb::bench
