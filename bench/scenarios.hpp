// Scenarios: the timed loops, written once against transports::Transport.
//
// pingpong  driver sends the full payload, the peer returns the full payload;
//           every round trip is one sample (int64 ns, preallocated buffer).
// stream    the driver sends back to back; the peer receives and touches
//           every byte (a 64-bit word sum it reports, which the driver checks);
//           the clock stops when the peer's 1-byte confirmation arrives.
// conformance (tests) byte-exact round trips of a list of sizes.
// No allocation, logging or throwing of our own inside a timed loop.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "transports/transport.hpp"

namespace ipcb::bench {

struct Job {
  std::string scenario;
  std::size_t message_bytes = 0;
  std::int64_t iterations = 0;     // timed messages or round trips
  std::int64_t warmup = 0;         // untimed ones before
  std::vector<std::size_t> sizes;  // conformance only

  nlohmann::json to_json() const;
  static Job from_json(const nlohmann::json& j);
};

// Test-only fault injection on the peer: "<action>@<phase>[:<count>]" with
// action exit (status 3) | crash (SIGSEGV) | kill (SIGKILL) | hang, phase
// connect|run; in phase run the fault fires after <count> messages.
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

// Untimed warm-up messages for a size: ~16 MiB of traffic, 10..1000 messages.
std::int64_t warmup_count(std::size_t message_bytes);

// Deterministic payload pattern; fill_pattern and check_pattern agree.
void fill_pattern(std::byte* p, std::size_t n, std::uint32_t seed);
// Index of the first wrong byte, or -1.
std::int64_t check_pattern(const std::byte* p, std::size_t n,
                           std::uint32_t seed);
// Sum of the buffer as little-endian 64-bit words plus tail bytes (mod 2^64).
std::uint64_t word_sum(const std::byte* p, std::size_t n);

// What a driver-side scenario measured.
struct Measurement {
  std::vector<std::int64_t> rtt_ns;  // pingpong samples
  std::int64_t elapsed_ns = 0;       // stream: first send .. confirmation
  std::uint64_t expected_sum = 0;    // stream: what the peer must report
};

void drive_pingpong(benchmark::State& state, transports::Transport& t,
                    const Job& job, Measurement& m);
void drive_stream(benchmark::State& state, transports::Transport& t,
                  const Job& job, Measurement& m);
// Throws std::runtime_error naming the size and first bad byte.
void drive_conformance(transports::Transport& t, const Job& job);

// The peer's side of any scenario; returns what goes in its "done" report.
nlohmann::json serve(transports::Transport& t, const Job& job,
                     const Fault& fault);

}  // namespace ipcb::bench
