// ProgressDisplay: the progress of a run on stderr, never on stdout nor in
// the results file. On a terminal, one status line redrawn every second
// ("[ 412/1672] stream/tcp/65536 | 3m12s elapsed | ETA 7m40s"), cleared
// before anything else is printed (hide) and drawn again after (show), so
// that neither Google Benchmark's table on stdout nor a warning on stderr
// is garbled. Without a terminal, plain lines ("ipcbench: progress [...]")
// when the run starts, at least kPlainInterval apart, and when it ends;
// no carriage return, no escape sequence. Off: nothing is printed, but
// the counts and the elapsed time are kept for the summary.
//
// Thread-safe: a thread of its own redraws; hide/show and the counts may
// be called from any thread. The progress counts runs (one repetition of
// one benchmark) as the reporter receives them; the ETA comes from
// bench/progress.hpp.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/progress.hpp"

namespace ipcb::bench {

class ProgressDisplay {
 public:
  enum class Mode { kOff, kTerminal, kPlain };
  static constexpr std::chrono::seconds kPlainInterval{10};

  // The mode for this process: off with `quiet`, a status line when
  // stderr is a terminal (not TERM=dumb), else plain lines.
  static Mode mode_for(bool quiet);

  // `plan`: the benchmarks that will run, `repetitions` runs each.
  ProgressDisplay(Mode mode, std::vector<PlannedBenchmark> plan,
                  int repetitions);
  ~ProgressDisplay();  // finish()
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  // The run begins (Google Benchmark reported its context): the clock
  // starts, the first line is printed, the redrawing thread starts.
  void begin();
  // The benchmark now running (shown on the line).
  void started(const std::string& name);
  // These runs are done (their benchmark names, one per repetition).
  void done(const std::vector<std::string>& names);
  // Clear the status line before other output / draw it again after
  // (stdout flushed first). Plain lines wait while hidden.
  void hide();
  void show();
  // Stops redrawing and clears the status line; on plain output, a last
  // line. Idempotent.
  void finish();

  double elapsed_s() const;

 private:
  using Clock = std::chrono::steady_clock;
  std::string line_locked() const;
  void draw_locked();
  void clear_locked();
  void plain_locked();
  void tick();

  const Mode mode_;
  std::map<std::string, double> run_s_;  // planned seconds per run, by name
  double mean_run_s_ = 0;                // for a name not in the plan
  std::size_t total_ = 0;
  double planned_total_s_ = 0;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::thread ticker_;
  bool begun_ = false, finished_ = false, hidden_ = false, drawn_ = false;
  Clock::time_point start_, last_done_, last_plain_;
  std::string current_;
  std::size_t done_ = 0;
  EtaInput eta_;
};

}  // namespace ipcb::bench
