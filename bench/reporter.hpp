// ResultsReporter: Google Benchmark's display reporter for ipcbench. It
// forwards every run to the chosen display (console/json/csv), keeps Google
// Benchmark's own JSON document, and after every batch of runs rewrites the
// results file atomically (Google Benchmark JSON + the ipcbench block), so a
// crash loses at most the benchmark that was running.
#pragma once

#include <benchmark/benchmark.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "bench/cases.hpp"

namespace ipcb::bench {

class ResultsReporter : public benchmark::BenchmarkReporter {
 public:
  ResultsReporter(std::unique_ptr<benchmark::BenchmarkReporter> display,
                  std::string path, nlohmann::ordered_json block,
                  RecordStore& store);

  bool ReportContext(const Context& context) override;
  void ReportRuns(const std::vector<Run>& runs) override;
  void Finalize() override;

  // Marks the results incomplete ("interrupted": signal name) and saves.
  void save_interrupted(const std::string& signal_name);

  int failures() const { return failures_; }
  // "name: error" for each failed benchmark, in order.
  std::vector<std::string> failure_lines() const;
  bool wrote() const { return wrote_; }

 private:
  void save();
  void note_variability(const Run& cv_run);

  static constexpr double kMaxCv = 0.05;  // flag benchmarks above 5 %
  int high_cv_ = 0;

  std::unique_ptr<benchmark::BenchmarkReporter> display_;
  std::ostringstream json_text_;
  benchmark::JSONReporter json_;
  std::string path_;
  nlohmann::ordered_json block_;
  RecordStore& store_;
  bool finalized_ = false;
  bool wrote_ = false;
  int failures_ = 0;
};

}  // namespace ipcb::bench
