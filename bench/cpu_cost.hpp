// CpuCost: the CPU time and context switches of one side of a run, measured
// the same way on the driver and on every peer: the thread that runs the
// scenario's loop (getrusage RUSAGE_THREAD) plus the threads its transport
// runs for its own work (Transport::own_threads, such as ZeroMQ's I/O
// thread, from their CPU clocks). Harness threads (watchdogs, the control
// channel, other pairs) are never counted, on either side.
//
// CpuMeter takes the snapshots. The wrappers that run a scenario's loops
// (bench/scenario.cpp) start one on the loop's thread; the loop marks where
// its timed phase begins (after the warm-up) and ends (after the last timed
// message, before any sorting of samples) with timed_phase_begins() and
// timed_phase_ends(). A loop that marks nothing is measured whole.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "sys/threads.hpp"

namespace ipcb::transports {
class Transport;
}

namespace ipcb::bench {

struct CpuCost {
  std::int64_t user_ns = 0, system_ns = 0;  // the loop's thread
  std::int64_t transport_threads_ns = 0;    // the transport's own threads
  std::int64_t daemon_ns = 0;  // its daemons (user + system), whole processes
  std::int64_t voluntary_switches = 0, involuntary_switches = 0;  // all
  // Rate: the loop thread's CPU spent waiting for each message's slot
  // (part of user_ns + system_ns; not the transport's).
  std::int64_t pacing_ns = 0;
  // The loop thread's time runnable but waiting for its CPU (the
  // scheduler's run_delay; -1 where the kernel does not say), and the wall
  // time it was measured over: other work on the loop's CPU shows as a
  // run delay that is a large part of the wall time.
  std::int64_t run_delay_ns = 0;
  std::int64_t wall_ns = 0;
  // transport_threads_ns and daemon_ns by thread id and daemon pid, as a
  // meter measured them (this process only: not in the JSON form), so that
  // sides that share a thread or a daemon can count it once
  // (counted_once).
  std::map<int, std::int64_t> thread_ns_by_tid, daemon_ns_by_pid;
  // What the transport cost: every thread counted, pacing left out.
  std::int64_t transport_ns() const {
    return user_ns + system_ns + transport_threads_ns - pacing_ns;
  }
  CpuCost operator-(const CpuCost& o) const;
  CpuCost& operator+=(const CpuCost& o);
  nlohmann::json to_json() const;
  static CpuCost from_json(const nlohmann::json& j);
};

// The sum of several sides' costs measured at once in this process (the
// drivers of --pairs), where a transport thread or daemon that more than
// one side counted (gRPC's process-wide threads, the run's one RouDi)
// counts once, with the largest time any side measured for it: the sides'
// timed phases overlap. `shared`, when given, says whether any did.
CpuCost counted_once(const std::vector<CpuCost>& sides, bool* shared = nullptr);

class CpuMeter {
 public:
  // Starts measuring the calling thread and `t`'s own threads, and makes
  // this the calling thread's meter until it is destroyed.
  explicit CpuMeter(const transports::Transport& t);
  ~CpuMeter();
  CpuMeter(const CpuMeter&) = delete;
  CpuMeter& operator=(const CpuMeter&) = delete;

  void begin();  // the timed phase starts now (again)
  void end();    // the timed phase ended now
  // Over the timed phase; up to now when end() was not called.
  CpuCost cost();
  // When begin() was last called (monotonic ns), 0 when never: where the
  // warm-up ended.
  std::int64_t begun_ns() const { return begun_ns_; }

 private:
  struct Snapshot {
    CpuCost self;
    std::vector<std::pair<int, sys::ThreadUsage>> own;
    std::vector<std::pair<int, std::int64_t>> daemons;  // pid, CPU ns
  };
  Snapshot take() const;
  static CpuCost between(const Snapshot& a, const Snapshot& b);

  const transports::Transport& t_;
  Snapshot begin_, end_;
  bool ended_ = false;
  std::int64_t begun_ns_ = 0;
  CpuMeter* previous_;
};

// Marks of the timed phase, for the calling thread's meter (none: no-op).
void timed_phase_begins();
void timed_phase_ends();

}  // namespace ipcb::bench
