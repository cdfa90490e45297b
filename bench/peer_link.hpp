// PeerLink: the driver's handle on one peer of a run, whichever it is: a
// process (harness::Pair: fork + exec of `ipcbench --peer`) or a thread of
// the driver's own process (ThreadPeer, for in-process transports).
//
// Contract. start_peer() prepares the transport (unless
// spec.transport_prepared: a further fan-in producer on it) and starts the
// peer. start_gate(), wait_warm() and finish() meet the peer as
// harness::Pair's do; explain_failure() gives the root cause of an error
// the driver caught. Destroying a link ends a peer that still runs; the
// transport is torn down by the run (a process peer's Pair also does it).
#pragma once

#include <exception>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/job.hpp"
#include "harness/pair.hpp"
#include "transports/transport.hpp"

namespace ipcb::bench {

class PeerLink {
 public:
  virtual ~PeerLink() = default;
  // Waits until the peer is connected, then lets it run.
  virtual void start_gate() = 0;
  // Waits until the peer's warm-up is sent (fan-in producers, which then
  // wait on the run's release gate).
  virtual void wait_warm() = 0;
  // Waits for the peer's final report.
  virtual nlohmann::json finish() = 0;
  // After the driver caught `e`: the root cause, naming the phase.
  virtual std::string explain_failure(const std::exception& e) = 0;
};

std::unique_ptr<PeerLink> start_peer(const harness::PeerSpec& spec,
                                     const Job& job, transports::Transport& t,
                                     bool in_process);

}  // namespace ipcb::bench
