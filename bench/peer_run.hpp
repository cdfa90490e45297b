// One run of a case: the driver and its peers from spawn to the peers'
// final reports, on a fresh transport with fresh peers.
#pragma once

#include <barrier>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "bench/cases.hpp"
#include "bench/plan.hpp"
#include "bench/scenario.hpp"

namespace ipcb::bench {

// The CPUs of one run (harness::assign_pairs / assign_fanin): the driver's
// and each peer's, in the order of Scenario::peer_jobs; -1 or a missing
// peer: the process's initial affinity mask.
struct RunCpus {
  int driver = -1;
  std::vector<int> peers;
  int peer(std::size_t i) const { return i < peers.size() ? peers[i] : -1; }
};

// What the concurrent runs of --pairs share. The barrier is met after
// every pair's warm-up, right before the timed phase. With `in_turn` (a
// test-only hook, --inject-pairs-in-turn), pair i starts its timed phase
// only once pairs 0..i-1 have left theirs, so that no two overlap.
class PairsSync {
 public:
  PairsSync(int pairs, bool in_turn)
      : together_(pairs), in_turn_(in_turn), left_(pairs, false) {}
  std::barrier<>& together() { return together_; }
  // In turn: blocks until pairs 0..i-1 have left their timed phase.
  void wait_turn(std::size_t i);
  // Pair i has left its timed phase, or failed (idempotent).
  void leave(std::size_t i);

 private:
  std::barrier<> together_;
  bool in_turn_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<bool> left_;
};

// Pins the driver, makes the transport, starts the scenario's peers
// (Scenario::peer_jobs) on `cpus`, meets them at the start gate, runs the
// timed loop and collects their reports into `out`. Never throws: a
// failure is kept in out.error with its root cause. Everything the run made
// is gone when it returns. `sync` (--pairs): what pair `index` shares with
// the others; nullptr for one pair.
template <class Loop>
void run_once(Loop& loop, const Case& cs, const Job& job,
              const RunSettings& settings, const RunCpus& cpus, PairsSync* sync,
              std::size_t index, Outcome& out);
extern template void run_once(benchmark::State&, const Case&, const Job&,
                              const RunSettings&, const RunCpus&, PairsSync*,
                              std::size_t, Outcome&);
extern template void run_once(CountedLoop&, const Case&, const Job&,
                              const RunSettings&, const RunCpus&, PairsSync*,
                              std::size_t, Outcome&);

}  // namespace ipcb::bench
