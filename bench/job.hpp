// What one side of a run is asked to do (Job, handed to each peer as JSON)
// and the test-only faults a peer can be asked to inject (Fault).
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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
  // fanin: every stride-th timed message of each producer carries its
  // send time and is timed by the consumer (the others are not); fanout:
  // every stride-th message the producer sends, timed by every consumer.
  std::int64_t stride = 1;
  int consumers = 0;  // fanout: consumers each receiving every message
  int consumer = 0;   // fanout, on a consumer: its index
  // fanout: the harness::FinishCount each consumer adds one to when it has
  // seen the end of the run (the same descriptor number on every side).
  int finish_fd = -1;
  // fanout: the transport may drop for a slow consumer (Fanout::kMayDrop).
  bool may_drop = false;
  // The malloc policy (harness/malloc_policy.hpp) the peer applies before
  // its transport, the driver's: "steady" or "glibc".
  std::string malloc = "glibc";

  // Round trips (pingpong, oneway) or messages the peer must serve.
  std::int64_t timed_messages() const { return iterations * batch; }
  nlohmann::json to_json() const;
  static Job from_json(const nlohmann::json& j);
};

// Untimed warm-up messages for a size: ~16 MiB of traffic, 10..1000 messages.
std::int64_t warmup_count(std::size_t message_bytes);

// The warm-up must also last this long, so that a 100 ns round trip is not
// timed 0.1 ms after the start (bench/cases.cpp sizes it).
inline constexpr std::int64_t kMinWarmupNs = 50'000'000;

// Warm-up messages that last at least kMinWarmupNs, from `messages` that
// took `took_ns` (with a margin), never fewer than `messages`; at most
// kMaxWarmupMessages.
inline constexpr std::int64_t kMaxWarmupMessages = 4'000'000;
std::int64_t warmup_for_time(std::int64_t messages, std::int64_t took_ns);

// pingpong on the clock timer: round trips per sample, so that one sample
// lasts at least kMinBatchSampleNs and the clock's own cost (~20 ns a read)
// stays below a few percent; from the previous invocation's median round
// trip. 1 when that is unknown (<= 0) or long enough; at most 1000.
inline constexpr std::int64_t kMinBatchSampleNs = 1000;
std::int64_t batch_for_round_trip(std::int64_t rtt_p50_ns);

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

}  // namespace ipcb::bench
