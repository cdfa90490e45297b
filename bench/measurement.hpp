// Measurement: what the driver's side of one run measured, filled by a
// scenario's timed loop (bench/scenario.hpp) and read by its report. Every
// vector a loop writes into is sized before the loop starts.
#pragma once

#include <cstdint>
#include <vector>

#include "bench/cpu_cost.hpp"
#include "bench/framing.hpp"

namespace ipcb::bench {

struct Measurement {
  std::vector<std::int64_t> rtt_ns;       // pingpong/oneway samples
  std::vector<std::int64_t> oneway_ns;    // oneway: peer -> driver; fanin:
                                          // producer send -> driver receive
  std::int64_t elapsed_ns = 0;            // stream/rate: whole timed part
  std::int64_t start_ns = 0, end_ns = 0;  // clock around the whole drive()
  std::int64_t warmup_ns = 0;  // from start_ns until the timed phase began
  // The timed phase on CLOCK_MONOTONIC (one clock for every process):
  // from the release (after the warm-up and the --pairs barrier) until
  // the timed loop returned.
  std::int64_t timed_start_ns = 0, timed_end_ns = 0;
  std::uint64_t expected_sum = 0;  // stream: what the peer must report
  std::int64_t missed_slots = 0;   // rate: sent over a period late
  // fanin: timed messages received from each producer, plus a last slot
  // for messages naming no valid producer (corruption).
  std::vector<std::int64_t> per_producer;
  std::uint64_t received_sum = 0;  // fanin: word sum of every timed message
  // fanin: when each producer's last message arrived (ns after the
  // release), and how many each had delivered when the first one finished
  // (the shares while all were competing).
  std::vector<std::int64_t> producer_done_ns;
  std::vector<std::int64_t> shares_at_first_done;
  std::int64_t driver_messages = 0;  // timed messages the CPU cost covers
  std::int64_t pacing_cpu_ns = 0;    // rate: CPU spent waiting for slots
  CpuCost driver_cpu;                // over the timed phase (cpu_cost.hpp)
  Integrity integrity;               // driver side, with --verify
};

}  // namespace ipcb::bench
