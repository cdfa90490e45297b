#include "bench/status_line.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

namespace ipcb::bench {

namespace {

// Whole text to stderr in one write (retried on a short write or EINTR),
// so that it never interleaves with another writer's line.
void write_stderr(const std::string& text) {
  std::size_t off = 0;
  while (off < text.size()) {
    const ssize_t n =
        ::write(STDERR_FILENO, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr gone: progress is not worth failing for
    off += static_cast<std::size_t>(n);
  }
}

std::size_t terminal_columns() {
  struct winsize ws {};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  return 80;
}

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

ProgressDisplay::Mode ProgressDisplay::mode_for(bool quiet) {
  if (quiet) return Mode::kOff;
  const char* term = std::getenv("TERM");
  const bool dumb = term != nullptr && std::strcmp(term, "dumb") == 0;
  return ::isatty(STDERR_FILENO) == 1 && !dumb ? Mode::kTerminal : Mode::kPlain;
}

ProgressDisplay::ProgressDisplay(Mode mode, std::vector<PlannedBenchmark> plan,
                                 int repetitions)
    : mode_(mode) {
  const auto reps = static_cast<std::size_t>(std::max(repetitions, 1));
  for (const auto& b : plan) {
    run_s_[b.name] = b.run_s;
    planned_total_s_ += b.run_s * static_cast<double>(reps);
  }
  total_ = plan.size() * reps;
  if (total_ > 0) mean_run_s_ = planned_total_s_ / static_cast<double>(total_);
  eta_.planned_total_s = planned_total_s_;
}

ProgressDisplay::~ProgressDisplay() { finish(); }

void ProgressDisplay::begin() {
  {
    std::lock_guard lock(mu_);
    if (begun_ || finished_) return;
    begun_ = true;
    start_ = last_done_ = last_plain_ = Clock::now();
    if (mode_ == Mode::kOff) return;
    if (mode_ == Mode::kPlain) plain_locked();
    if (mode_ == Mode::kTerminal && !hidden_) draw_locked();
  }
  ticker_ = std::thread([this] { tick(); });
}

void ProgressDisplay::started(const std::string& name) {
  std::lock_guard lock(mu_);
  current_ = name;
  if (mode_ == Mode::kTerminal && begun_ && !finished_ && !hidden_)
    draw_locked();
}

void ProgressDisplay::done(const std::vector<std::string>& names) {
  if (names.empty()) return;
  std::lock_guard lock(mu_);
  const auto now = Clock::now();
  for (const auto& name : names) {
    auto it = run_s_.find(name);
    const double planned = it == run_s_.end() ? mean_run_s_ : it->second;
    eta_.planned_done_s += planned;
    if (planned > 0) ++eta_.timed_runs_done;
    ++done_;
  }
  eta_.measured_done_s += seconds(now - last_done_);
  last_done_ = now;
  // A filter Google Benchmark read otherwise than filter_plan: the plan
  // grows to what ran.
  total_ = std::max(total_, done_);
  eta_.planned_total_s = std::max(planned_total_s_, eta_.planned_done_s);
  if (!begun_ || finished_ || hidden_) return;
  if (mode_ == Mode::kTerminal) draw_locked();
  if (mode_ == Mode::kPlain && now - last_plain_ >= kPlainInterval)
    plain_locked();
}

void ProgressDisplay::hide() {
  std::lock_guard lock(mu_);
  hidden_ = true;
  clear_locked();
}

void ProgressDisplay::show() {
  std::cout.flush();  // the table's rows before the line is drawn again
  std::fflush(stdout);
  std::lock_guard lock(mu_);
  hidden_ = false;
  if (!begun_ || finished_) return;
  if (mode_ == Mode::kTerminal) draw_locked();
  if (mode_ == Mode::kPlain && Clock::now() - last_plain_ >= kPlainInterval)
    plain_locked();
}

void ProgressDisplay::finish() {
  {
    std::lock_guard lock(mu_);
    if (!finished_) {
      finished_ = true;
      clear_locked();
      if (mode_ == Mode::kPlain && begun_) {
        current_ = done_ >= total_ ? "done" : "stopped";
        plain_locked();
      }
    }
  }
  wake_.notify_all();
  if (ticker_.joinable() && ticker_.get_id() != std::this_thread::get_id())
    ticker_.join();
}

double ProgressDisplay::elapsed_s() const {
  std::lock_guard lock(mu_);
  return begun_ ? seconds(Clock::now() - start_) : 0;
}

std::string ProgressDisplay::line_locked() const {
  const auto now = Clock::now();
  EtaInput in = eta_;
  in.current_s = seconds(now - last_done_);
  const bool ended = finished_ && done_ >= total_;
  return status_text(done_, total_, current_.empty() ? "starting" : current_,
                     seconds(now - start_), ended ? 0 : eta_seconds(in));
}

void ProgressDisplay::draw_locked() {
  std::string line = line_locked();
  const std::size_t width = terminal_columns();
  // A line as wide as the terminal would wrap, and "\r" would then clear
  // only its last part.
  if (line.size() >= width) line.resize(width > 1 ? width - 1 : 0);
  write_stderr("\r" + line + "\033[K");
  drawn_ = true;
}

void ProgressDisplay::clear_locked() {
  if (!drawn_) return;
  write_stderr("\r\033[K");
  drawn_ = false;
}

void ProgressDisplay::plain_locked() {
  write_stderr("ipcbench: progress " + line_locked() + "\n");
  last_plain_ = Clock::now();
}

void ProgressDisplay::tick() {
  std::unique_lock lock(mu_);
  while (!finished_) {
    wake_.wait_for(lock, std::chrono::seconds(1));
    if (finished_ || hidden_) continue;
    if (mode_ == Mode::kTerminal) draw_locked();
    if (mode_ == Mode::kPlain && Clock::now() - last_plain_ >= kPlainInterval)
      plain_locked();
  }
}

}  // namespace ipcb::bench
