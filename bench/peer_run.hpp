// One run of a case: the driver and its peers from spawn to the peers'
// final reports, on a fresh transport with fresh peers.
#pragma once

#include <barrier>

#include "bench/cases.hpp"
#include "bench/plan.hpp"
#include "bench/scenario.hpp"

namespace ipcb::bench {

// Pins the driver, makes the transport, starts the scenario's peers
// (Scenario::peer_jobs), meets them at the start gate, runs the timed loop
// and collects their reports into `out`. Never throws: a failure is kept in
// out.error with its root cause. Everything the run made is gone when it
// returns. `together` (--pairs): where every pair's driver waits before its
// timed loop; nullptr for one pair.
template <class Loop>
void run_once(Loop& loop, const Case& cs, const Job& job,
              const RunSettings& settings, std::barrier<>* together,
              Outcome& out);
extern template void run_once(benchmark::State&, const Case&, const Job&,
                              const RunSettings&, std::barrier<>*, Outcome&);
extern template void run_once(CountedLoop&, const Case&, const Job&,
                              const RunSettings&, std::barrier<>*, Outcome&);

}  // namespace ipcb::bench
