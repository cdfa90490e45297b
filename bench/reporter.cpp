#include "bench/reporter.hpp"

#include <cstdio>
#include <iostream>

#include "bench/methods.hpp"
#include "bench/report.hpp"
#include "bench/warnings.hpp"
#include "harness/cpu.hpp"
#include "results/distributions.hpp"
#include "results/results_file.hpp"

namespace ipcb::bench {

ResultsReporter::ResultsReporter(
    std::unique_ptr<benchmark::BenchmarkReporter> display, std::string path,
    nlohmann::ordered_json block, RecordStore& store)
    : display_(std::move(display)),
      path_(std::move(path)),
      block_(std::move(block)),
      store_(store) {
  json_.SetOutputStream(&json_text_);
  json_.SetErrorStream(&json_text_);
  cpus_ = harness::initial_cpus();
  cpu_times_at_start_ = harness::read_cpu_times(cpus_);
  block_["complete"] = false;
  block_["benchmarks"] = nlohmann::ordered_json::array();
  block_["failures"] = nlohmann::ordered_json::array();
  block_["skipped"] = nlohmann::ordered_json::array();
  block_["high_variability"] = nlohmann::ordered_json::array();
  block_["contended"] = nlohmann::ordered_json::array();
  block_["methods"] = nlohmann::ordered_json::object();
}

bool ResultsReporter::ReportContext(const Context& context) {
  std::lock_guard lock(mutex_);
  bool ok = display_->ReportContext(context);
  for (const auto& w : block_["warnings"]) {
    std::cerr << "ipcbench: warning: " << w.get<std::string>() << "\n";
  }
  json_.ReportContext(context);
  if (file_) file_->ReportContext(context);
  save();
  if (progress_) progress_->begin();
  return ok;
}

void ResultsReporter::ReportRuns(const std::vector<Run>& runs) {
  std::lock_guard lock(mutex_);
  if (progress_) progress_->hide();
  std::vector<Run> clean = runs;
  std::vector<std::string> done;
  for (auto& run : clean) {
    // Every case uses manual time; "pingpong/pipe/64" reads better without
    // Google Benchmark's "/manual_time" suffix.
    run.run_name.time_type.clear();
    std::optional<nlohmann::ordered_json> rec;
    auto it = run.counters.find(kRecordCounter);
    if (it != run.counters.end()) {
      auto id = static_cast<std::int64_t>(it->second.value);
      run.counters.erase(it);
      if (run.run_type == Run::RT_Iteration) rec = store_.take(id);
    } else if (run.run_type == Run::RT_Iteration && run.error_occurred) {
      rec = store_.take_first_failed(run.benchmark_name());
    }
    if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "cv") {
      note_variability(run);
      continue;
    }
    if (run.run_type != Run::RT_Iteration) continue;
    const std::string name = run.benchmark_name();
    done.push_back(name);
    const bool skipped = run.error_message.rfind("skipped: ", 0) == 0;
    if (skipped) {
      if (run.repetition_index == 0)  // listed once, not per repetition
        block_["skipped"].push_back(
            {{"name", name}, {"reason", run.error_message.substr(9)}});
    } else if (run.error_occurred) {
      ++failures_;
      block_["failures"].push_back(
          {{"name", name}, {"error", run.error_message}});
    }
    nlohmann::ordered_json entry = {{"name", name},
                                    {"repetition_index", run.repetition_index}};
    if (rec) {
      for (auto w : {capacity_warning(*rec), rate_warning(*rec)}) {
        if (!w || !noted_.insert(*w).second) continue;
        block_["warnings"].push_back(*w);
        std::cerr << "ipcbench: warning: " << *w << "\n";
      }
      note_contention(name, run.repetition_index, *rec);
      rec->erase("name");
      hoist_methods(*rec, block_["methods"]);
      entry.update(*rec);
    }
    block_["benchmarks"].push_back(std::move(entry));
  }
  display_->ReportRuns(clean);
  json_.ReportRuns(clean);
  if (file_) file_->ReportRuns(clean);
  save();
  if (progress_) {
    progress_->done(done);
    progress_->show();
  }
}

void ResultsReporter::note_variability(const Run& cv_run) {
  // Google Benchmark's cv aggregate: stddev / mean over the repetitions, as
  // a fraction, in the time column and in each counter. Judged: the time
  // per iteration, except for a paced run (rate: it is the offered
  // period, which stays put whatever the transport does), and the p50
  // latency where there is one (rate, fan-in); the larger counts.
  const char* figure = nullptr;
  double cv = 0;
  if (cv_run.counters.find(kPacedCounter) == cv_run.counters.end()) {
    figure = "real_time";
    cv = cv_run.real_accumulated_time;
  }
  if (auto it = cv_run.counters.find(kLatencyCounter);
      it != cv_run.counters.end() && (figure == nullptr || it->second > cv)) {
    figure = kLatencyCounter;
    cv = it->second.value;
  }
  std::string name = cv_run.run_name.str();
  if (figure != nullptr && cv > kMaxCv) {
    block_["high_variability"].push_back(
        {{"name", name}, {"cv", cv}, {"figure", figure}});
    ++high_cv_;
  }
}

void ResultsReporter::note_contention(const std::string& name,
                                      std::int64_t repetition,
                                      const nlohmann::ordered_json& rec) {
  auto it = rec.find("contention");
  if (it == rec.end() || !it->value("contended", false)) return;
  block_["contended"].push_back(
      {{"name", name},
       {"repetition_index", repetition},
       {"driver_run_delay_fraction", (*it)["driver_run_delay_fraction"]},
       {"peer_run_delay_fraction", (*it)["peer_run_delay_fraction"]}});
}

void ResultsReporter::Finalize() {
  std::lock_guard lock(mutex_);
  if (progress_) progress_->finish();
  note_steal();
  if (auto w = harness::steal_warning(block_["cpu_steal"])) {
    block_["warnings"].push_back(*w);
    std::cerr << "ipcbench: warning: " << *w << "\n";
  }
  if (const std::size_t n = block_["contended"].size(); n > 0) {
    char pct[16];
    std::snprintf(pct, sizeof pct, "%.0f", kContentionFraction * 100);
    std::string w = std::to_string(n) +
                    " benchmark run(s) waited for their CPU more than " + pct +
                    " % of the timed phase (see \"contended\"): other work "
                    "ran on the measured CPUs and is in those figures; rerun "
                    "them on a quieter machine or other CPUs (--cpus)";
    block_["warnings"].push_back(w);
    std::cerr << "ipcbench: warning: " << w << "\n";
  }
  if (high_cv_ > 0) {
    std::string w = std::to_string(high_cv_) +
                    " benchmark(s) varied by more than 5 % between "
                    "repetitions (see \"high_variability\"): repeat them, "
                    "with --benchmark_enable_random_interleaving=true, on a "
                    "quieter machine";
    block_["warnings"].push_back(w);
    std::cerr << "ipcbench: warning: " << w << "\n";
  }
  display_->Finalize();
  json_.Finalize();
  finalized_ = true;
  block_["complete"] = true;
  save();
  if (!file_) return;
  file_->Finalize();
  try {
    results::write_atomically(file_path_, file_text_.str());
  } catch (const std::exception& e) {
    std::cerr << "ipcbench: could not write --benchmark_out: " << e.what()
              << "\n";
    save_error_ = e.what();
  }
}

void ResultsReporter::add_file_output(
    std::string path, std::unique_ptr<benchmark::BenchmarkReporter> file) {
  std::lock_guard lock(mutex_);
  file_path_ = std::move(path);
  file_ = std::move(file);
  file_->SetOutputStream(&file_text_);
  file_->SetErrorStream(&file_text_);
}

nlohmann::ordered_json ResultsReporter::block() const {
  std::lock_guard lock(mutex_);
  return block_;
}

std::vector<std::string> ResultsReporter::failure_lines() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& f : block_["failures"]) {
    out.push_back(f["name"].get<std::string>() + ": " +
                  f["error"].get<std::string>());
  }
  return out;
}

void ResultsReporter::save_interrupted(const std::string& signal_name) {
  std::lock_guard lock(mutex_);
  block_["complete"] = false;
  block_["interrupted"] = signal_name;
  save();
}

bool ResultsReporter::save_abandoned(const std::string& benchmark,
                                     const nlohmann::ordered_json& settings,
                                     const std::string& error,
                                     const std::string& cause,
                                     std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_, std::defer_lock);
  if (!lock.try_lock_for(wait)) return false;
  ++failures_;
  block_["failures"].push_back({{"name", benchmark}, {"error", error}});
  nlohmann::ordered_json entry = {{"name", benchmark}};
  if (settings.is_object()) {
    for (const auto& [key, value] : settings.items())
      if (key != "name") entry[key] = value;
  }
  entry["error"] = error;
  block_["benchmarks"].push_back(std::move(entry));
  block_["complete"] = false;
  block_["interrupted"] = cause;
  return try_save();
}

std::string ResultsReporter::save_error() const {
  std::lock_guard lock(mutex_);
  return save_error_;
}

void ResultsReporter::save() { try_save(); }

void ResultsReporter::note_steal() {
  block_["cpu_steal"] = harness::steal_between(cpus_, cpu_times_at_start_,
                                               harness::read_cpu_times(cpus_));
}

bool ResultsReporter::try_save() {
  note_steal();
  std::string text = json_text_.str();
  if (!finalized_) text += "\n  ]\n}\n";  // close the document written so far
  try {
    auto doc = results::combine(text, block_);
    // The side file first, so that the results file never names a side
    // file that is not there; each is replaced atomically.
    const auto side = results::split_distributions(doc["ipcbench"]);
    const std::string gz = results::gzip(side.dump() + "\n");
    results::write_atomically(results::side_file_path(path_), gz);
    doc["ipcbench"]["distributions"] =
        results::side_file_entry(path_, gz, side);
    results::write_atomically(path_, results::dump_lines(doc));
  } catch (const std::exception& e) {
    if (save_error_ != e.what()) {
      std::cerr << "ipcbench: could not write the results file: " << e.what()
                << "; "
                << (wrote_ ? "it keeps its last complete snapshot"
                           : "nothing is saved yet")
                << ". Measuring goes on; the write is retried after the "
                   "next benchmark\n";
    }
    save_error_ = e.what();
    return false;
  }
  if (!save_error_.empty())
    std::cerr << "ipcbench: the results file " << path_
              << " is written again\n";
  save_error_.clear();
  wrote_ = true;
  return true;
}

}  // namespace ipcb::bench
