// Runs the conformance exchange (each size both ways, byte-exact) between
// this test process, as driver, and a real peer process (the ipcbench binary
// in peer mode). Shared by the transport test suites.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "bench/scenarios/registry.hpp"
#include "harness/pair.hpp"
#include "transports/transport.hpp"

namespace ipcb::testing {

// `during` runs after the exchange, before the peer's final report (e.g. to
// read applied settings). A failure is recorded with its root cause. The
// transport has been torn down when this returns.
inline void exchange_with_peer(const std::string& name,
                               const transports::Config& cfg,
                               transports::Transport& t,
                               const std::vector<std::size_t>& sizes,
                               const std::function<void()>& during = {}) {
  bench::Job job;
  job.scenario = "conformance";
  job.sizes = sizes;
  harness::PeerSpec spec{IPCBENCH_PATH,
                         name,
                         cfg,
                         job.to_json(),
                         -1,
                         std::chrono::milliseconds(60000),
                         ""};
  harness::Pair pair(spec, t);
  try {
    t.connect(transports::Role::kDriver);
    pair.start_gate();
    bench::drive_conformance(t, job);
    if (during) during();
    pair.finish();
  } catch (const std::exception& e) {
    ADD_FAILURE() << name << ": " << pair.explain_failure(e);
  }
}

}  // namespace ipcb::testing
