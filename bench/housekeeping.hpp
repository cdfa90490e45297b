// What dead runs left behind, removed: IPC objects (harness/cleanup) and
// results temporaries, at the start of a run and for --cleanup.
#pragma once

#include <string>

#include "harness/cleanup.hpp"

namespace ipcb::bench {

// Removes the results temporaries a killed driver may have left,
// "<out>.tmp.<pid>..." and those of its distributions side file next to
// `out` (when given), and "results.json.tmp.<pid>..." and
// "distributions.json.gz.tmp.<pid>..." in every run directory under
// ./results, and
// adds what it removed and refused to `report` ("results temporary ...").
void remove_results_temporaries(const std::string& out,
                                harness::CleanupReport& report);

// --cleanup: removes what dead runs left, lists it; the exit status.
int run_cleanup();

}  // namespace ipcb::bench
