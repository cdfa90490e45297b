// Scenarios: the timed loops, written once against transports::Transport.
//
// pingpong  the driver sends the full payload, the peer returns the full
//           payload; each sample is one round trip, or the mean of `batch`
//           back-to-back round trips when a round trip is so short that the
//           clock's own cost would dominate (the batch size is recorded).
// oneway    a ping-pong whose messages carry send timestamps (same machine,
//           same monotonic clock): the peer records driver->peer one-way
//           latency, the driver records peer->driver, next to the RTT.
// stream    the driver sends back to back; the peer receives and touches
//           every byte (a 64-bit word sum it reports, which the driver
//           checks); the clock stops when the peer's confirmation arrives.
// rate      open loop: the driver sends at a fixed rate on a schedule that
//           never waits for the peer; each message carries its *intended*
//           send time and the peer records arrival minus intended time, so a
//           stall shows in the tail (no coordinated omission).
// fanin     N producer processes send back to back to the one driver (the
//           consumer): after every producer's warm-up has been received,
//           all are released together; the clock runs from the release to
//           the last message. Each message carries its producer's index and
//           send time: per-producer counts (fairness) and send-to-receive
//           latency (queueing included); the consumer touches every byte
//           and its word sum must equal what the producers report sending.
// conformance (tests) byte-exact round trips of a list of sizes.
//
// No allocation, logging or throwing of our own inside a timed loop.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/cpu_cost.hpp"
#include "bench/framing.hpp"
#include "bench/job.hpp"
#include "transports/transport.hpp"

namespace ipcb::bench {

std::vector<std::string> scenario_names();  // the public ones
bool is_scenario(const std::string& name);
// Empty when the scenario can run with this size, else why not.
std::string size_problem(const std::string& scenario, std::size_t bytes,
                         bool verify);

// What a driver-side scenario measured.
struct Measurement {
  std::vector<std::int64_t> rtt_ns;       // pingpong/oneway samples
  std::vector<std::int64_t> oneway_ns;    // oneway: peer -> driver; fanin:
                                          // producer send -> driver receive
  std::int64_t elapsed_ns = 0;            // stream/rate: whole timed part
  std::int64_t start_ns = 0, end_ns = 0;  // clock around the whole drive()
  std::uint64_t expected_sum = 0;         // stream: what the peer must report
  std::int64_t missed_slots = 0;          // rate: sent over a period late
  // fanin: timed messages received from each producer, plus a last slot
  // for messages naming no valid producer (corruption).
  std::vector<std::int64_t> per_producer;
  std::uint64_t received_sum = 0;  // fanin: word sum of every timed message
  // fanin: when each producer's last message arrived (ns after the
  // release), and how many each had delivered when the first one finished
  // (the shares while all were competing).
  std::vector<std::int64_t> producer_done_ns;
  std::vector<std::int64_t> shares_at_first_done;
  std::int64_t driver_messages = 0;  // messages the CPU cost covers
  CpuCost driver_cpu;                // main thread, warm-up included
  Integrity integrity;               // driver side, with --verify
};

// A fixed-count stand-in for benchmark::State, used by the extra driver
// threads of --pairs: the same loops run against either.
class CountedLoop {
 public:
  explicit CountedLoop(std::int64_t n) : n_(n) {}
  struct [[maybe_unused]] Value {};
  struct Iterator {
    std::int64_t left;
    bool operator!=(const Iterator& o) const { return left != o.left; }
    void operator++() { --left; }
    Value operator*() const { return {}; }
  };
  Iterator begin() const { return {n_}; }
  Iterator end() const { return {0}; }
  void SetIterationTime(double) {}

 private:
  std::int64_t n_;
};

template <class Loop>
void drive(Loop& loop, transports::Transport& t, const Job& job,
           Measurement& m);
extern template void drive(benchmark::State&, transports::Transport&,
                           const Job&, Measurement&);
extern template void drive(CountedLoop&, transports::Transport&, const Job&,
                           Measurement&);
// The consumer's side of fanin. release() is called once every producer's
// warm-up has arrived: it must let all producers start their timed part.
template <class Loop>
void drive_fanin(Loop& loop, transports::Transport& t, const Job& job,
                 Measurement& m, const std::function<void()>& release);
extern template void drive_fanin(benchmark::State&, transports::Transport&,
                                 const Job&, Measurement&,
                                 const std::function<void()>&);
extern template void drive_fanin(CountedLoop&, transports::Transport&,
                                 const Job&, Measurement&,
                                 const std::function<void()>&);
// Throws std::runtime_error naming the size and first bad byte.
void drive_conformance(transports::Transport& t, const Job& job);

// The peer's side of any scenario; returns what goes in its "done" report.
// whole_process: CPU cost of the whole process (a peer process) or of the
// calling thread only (an in-process peer thread). warm_gate: fanin only,
// called between the producer's warm-up and its timed messages.
nlohmann::json serve(transports::Transport& t, const Job& job,
                     const Fault& fault, bool whole_process = true,
                     const std::function<void()>& warm_gate = {});

}  // namespace ipcb::bench
