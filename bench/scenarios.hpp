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
// Message layout when a scenario needs it: bytes [0,8) timestamp A (oneway:
// driver send time; rate: intended send time; fanin: producer's send time),
// [8,16) timestamp B (oneway: peer send time) or the producer's index
// (fanin); with --verify, [16,24) sequence number and [24,32) a
// checksum of bytes [32,n). Messages under 32 B are verified against a
// pattern derived from their sequence number instead.
// No allocation, logging or throwing of our own inside a timed loop.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/stats.hpp"
#include "transports/transport.hpp"

namespace ipcb::bench {

struct Job {
  std::string scenario;
  std::size_t message_bytes = 0;
  std::int64_t iterations = 0;     // timed samples (pingpong) or messages
  std::int64_t warmup = 0;         // untimed messages or round trips before
  std::int64_t batch = 1;          // pingpong: round trips per sample
  bool verify = false;             // integrity framing on every message
  double rate_per_s = 0;           // rate: offered messages per second
  std::vector<std::size_t> sizes;  // conformance only
  int producers = 0;               // fanin: producers sending at once
  int producer = 0;                // fanin, on a producer: its index

  // Round trips (pingpong, oneway) or messages the peer must serve.
  std::int64_t timed_messages() const { return iterations * batch; }
  nlohmann::json to_json() const;
  static Job from_json(const nlohmann::json& j);
};

// Test-only fault injection on the peer: "<action>@<phase>[:<count>]" with
// action exit (status 3) | crash (SIGSEGV) | kill (SIGKILL) | hang |
// stop (SIGSTOP itself) |
// corrupt (pingpong: flip a bit of one reply; fanin: of one message each
// producer sends), phase connect|run; in phase
// run the fault fires after <count> messages, warm-up messages included.
struct Fault {
  std::string action;
  std::string phase;
  std::int64_t after = 0;
  static Fault parse(const std::string& spec);  // throws std::invalid_argument
  bool armed_for(const char* p) const { return !action.empty() && phase == p; }
  [[noreturn]] void fire() const;
};

std::vector<std::string> scenario_names();  // the public ones
bool is_scenario(const std::string& name);
// Empty when the scenario can run with this size, else why not.
std::string size_problem(const std::string& scenario, std::size_t bytes,
                         bool verify);

// Untimed warm-up messages for a size: ~16 MiB of traffic, 10..1000 messages.
std::int64_t warmup_count(std::size_t message_bytes);

// Deterministic payload pattern; fill_pattern and check_pattern agree.
void fill_pattern(std::byte* p, std::size_t n, std::uint32_t seed);
// Index of the first wrong byte, or -1.
std::int64_t check_pattern(const std::byte* p, std::size_t n,
                           std::uint32_t seed);
// Sum of the buffer as little-endian 64-bit words plus tail bytes (mod 2^64).
std::uint64_t word_sum(const std::byte* p, std::size_t n);

// Counts kept by --verify on each receiving side.
struct Integrity {
  std::int64_t checked = 0;
  std::int64_t corrupt = 0;     // checksum or pattern mismatch
  std::int64_t gaps = 0;        // messages skipped over (sequence jumped)
  std::int64_t duplicates = 0;  // sequence went backwards or repeated
  bool ok() const { return corrupt == 0 && gaps == 0 && duplicates == 0; }
  nlohmann::json to_json() const;
  static Integrity from_json(const nlohmann::json& j);
  std::string describe() const;  // "2 corrupt, 1 gap, 0 duplicates in 1000"
};

// Integrity framing: stamp() before sending message `seq`, check() on the
// receiving side, which expects consecutive sequence numbers from 0.
class Verifier {
 public:
  explicit Verifier(std::size_t n) : n_(n) {}
  void stamp(std::byte* p, std::uint64_t seq) const;
  void check(const std::byte* p);
  const Integrity& counts() const { return counts_; }

 private:
  std::size_t n_;
  std::uint64_t expected_ = 0;
  Integrity counts_;
};

// CPU time and context switches of one side (getrusage deltas).
struct CpuCost {
  std::int64_t user_ns = 0, system_ns = 0;
  std::int64_t voluntary_switches = 0, involuntary_switches = 0;
  static CpuCost now(bool whole_process);
  CpuCost operator-(const CpuCost& o) const;
  nlohmann::json to_json() const;
  static CpuCost from_json(const nlohmann::json& j);
};

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

// A latency distribution as recorded in the results file (count, mean,
// stddev, min, max, percentiles_ns keyed "0".."100").
nlohmann::ordered_json latency_json(const harness::Distribution& d);

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
