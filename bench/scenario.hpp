// The second seam: a scenario is one way of exercising a transport
// (pingpong, stream, oneway, rate, fanin, ...), registered by name like a
// transport (bench/scenarios/registry.hpp), one file each under
// bench/scenarios/.
//
// Contract. A Scenario is immutable and shared by every case and thread.
// It says which cases it accepts and, when not, why (size_problem,
// transport_problem, supports_pairs); which variants it sweeps; what each
// peer is asked to do (plan, peer_jobs); it runs the driver's timed loop
// (drive) and each peer's loop (serve); and it turns what was measured into
// Google Benchmark counters and the results record (report). Inside the
// timed loops of drive() and serve() there is no allocation, logging or
// throwing of its own. The hooks with a default suit a scenario with one
// peer that both receives and sends (pingpong, oneway, stream, rate).
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/job.hpp"
#include "bench/measurement.hpp"
#include "bench/options.hpp"
#include "harness/topology.hpp"
#include "transports/registry.hpp"

namespace ipcb::bench {

using Gate = std::function<void()>;

// One sweep point that a scenario adds to each (transport, wait, size).
struct Variant {
  std::string suffix;     // of the benchmark name, such as "/10000_per_s"
  double rate_per_s = 0;  // into Job::rate_per_s
  int producers = 0;      // into Job::producers
  // Top-level keys of the results record that tell this variant apart.
  nlohmann::ordered_json record = nlohmann::ordered_json::object();
  // rate: a percentage of the case's measured stream capacity instead
  // (bench/calibration.hpp), which sets Job::rate_per_s; 0: none.
  double rate_percent = 0;
  int consumers = 0;  // into Job::consumers
};

// "/<count><unit>", such as "/4_producers": a variant's name suffix.
std::string name_suffix(long long count, const char* unit);
// "/50pct", "/12.5pct": a percentage's name suffix.
std::string percent_suffix(double percent);

// What one run of a case produced.
struct Outcome {
  Measurement m;                     // the driver's side
  std::vector<nlohmann::json> done;  // each peer's final report, in order
  nlohmann::ordered_json applied;    // settings the kernel applied
  transports::Capacity capacity;     // bytes in flight it applied
  int driver_cpu = -1;               // the CPU the driver ended on
  std::string error;                 // empty, or the failure's root cause
};

// How both sides' CPU cost is measured (bench/cpu_cost.hpp).
inline constexpr const char* kCpuSource =
    "timed phase only, the same on both sides: the thread running the loop "
    "(getrusage RUSAGE_THREAD) plus the transport's own threads (their CPU "
    "clocks); harness threads excluded";

// The peers' side of the CPU cost, and how both sides were measured.
struct PeerCost {
  CpuCost cost;
  std::int64_t messages = 1;
  std::string source;
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

class Scenario {
 public:
  virtual ~Scenario() = default;

  virtual std::string name() const = 0;
  // Offered by --scenarios and run by default (false: for tests only).
  virtual bool listed() const { return true; }

  // ---- Which cases it accepts.
  // Empty when messages of `bytes` suit it, else why not.
  virtual std::string size_problem(std::size_t bytes, bool verify) const;
  // Empty when transport `t` can carry it with `bytes`, else why not.
  virtual std::string transport_problem(const transports::TransportInfo& t,
                                        std::size_t bytes) const;
  // Whether the driver's every send() is answered by one recv() of the
  // peer's reply before its next send(), and the peer sends nothing else
  // (pingpong, oneway): the one pattern a request/reply transport
  // (Capabilities::request_reply) carries; the default transport_problem()
  // refuses such a transport otherwise.
  virtual bool alternates() const { return false; }
  // Whether --pairs may run several independent pairs of it at once.
  virtual bool supports_pairs() const { return false; }
  // Its sweep points (offered rates, producer counts): one plain variant.
  virtual std::vector<Variant> variants(const Options& opt) const;
  // What to tell the user about a run of it with these options on a
  // machine of this topology, with these CPUs allowed.
  virtual std::vector<std::string> warnings(
      const Options& opt, const harness::Topology& topo,
      const std::vector<int>& allowed) const;

  // ---- What the sides are asked to do.
  // Settles a case's job before each invocation (pingpong: its batch).
  virtual void plan(Job& job, const std::string& case_name) const;
  // The job of each peer the driver starts: one peer, the case's job.
  virtual std::vector<Job> peer_jobs(const Job& job) const { return {job}; }
  // How a failure names peer i ("producer 2"); "" names none (one peer).
  virtual std::string peer_name(std::size_t i) const;
  // Whether its peers wait, after their warm-up, for the driver's release
  // (fan-in producers): the run then gives them one release gate.
  virtual bool peers_wait_for_release() const { return false; }
  // Whether its peers each add one, when done, to a harness::FinishCount
  // that the driver reads in its loop (fan-out consumers that have seen
  // the end): the run then makes one and puts it in Job::finish_fd.
  virtual bool peers_count_finish() const { return false; }

  // ---- The loops.
  // The driver's timed loop. `release` is called once, after the warm-up
  // and right before the timed part: it meets the other pairs of --pairs
  // and lets peers that wait at a second gate (fan-in producers) start.
  virtual void drive(benchmark::State& state, transports::Transport& t,
                     const Job& job, Measurement& m,
                     const Gate& release) const = 0;
  // The same loop for the extra pairs of --pairs (supports_pairs()).
  virtual void drive(CountedLoop& loop, transports::Transport& t,
                     const Job& job, Measurement& m, const Gate& release) const;
  // A peer's loop; returns what goes in its final report. `warm_gate`:
  // the peer's side of `release` (fan-in), empty when there is none.
  virtual nlohmann::json serve(transports::Transport& t, const Job& job,
                               const Fault& fault,
                               const Gate& warm_gate) const = 0;

  // ---- The report (counters and the results record).
  // "cpus_observed" and, with --verify, both sides' "integrity"; throws
  // when an integrity check failed.
  virtual void report_sides(const Job& job, const Outcome& run,
                            nlohmann::ordered_json& rec) const;
  // The peers' CPU cost, for "cpu" and the cpu_*_ns_per_msg counters.
  virtual PeerCost peer_cost(const Outcome& run) const;
  // What one unit of the CPU cost counters is: "message", or "round_trip"
  // for scenarios whose driver sends and receives each message.
  virtual const char* cpu_per() const { return "message"; }
  // The figures; throws when what arrived is not what was sent.
  virtual void report(benchmark::State& state, const Job& job, Outcome& run,
                      nlohmann::ordered_json& rec) const = 0;
  // --pairs: one pair's figures into its entry of the record's "pairs".
  virtual void report_pair(const Job& job, Outcome& run,
                           nlohmann::ordered_json& entry) const;
  // --pairs: the figures of all pairs together.
  virtual void report_pairs(benchmark::State& state, const Job& job,
                            std::vector<Outcome>& runs,
                            nlohmann::ordered_json& rec) const;
};

// The words of a hub-and-spokes scenario (fanin: a consumer and its
// producers; fanout: a producer and its consumers).
struct HubWords {
  const char* scenario;  // "fanin"
  const char* spoke;     // "producer"
  const char* hub;       // "consumer"
};
// The warning for a hub-and-spokes scenario with up to `most` spokes when,
// under one of the placements, some spoke must share a CPU
// (harness::assign_fanin): what is shared and that the figures include
// scheduling contention. Empty when every spoke has a CPU of its own.
std::vector<std::string> hub_warnings(const Options& opt,
                                      const harness::Topology& topo,
                                      const std::vector<int>& allowed, int most,
                                      const HubWords& w);

// A timed loop (benchmark::State or CountedLoop) whose first iteration is
// preceded by `at_start`: a loop written as warm-up, then
// `for (auto _ : state)`, calls it between the two without knowing.
template <class Loop>
class ReleasedLoop {
 public:
  ReleasedLoop(Loop& inner, const Gate& at_start)
      : inner_(inner), at_start_(at_start) {}
  auto begin() {
    if (at_start_) at_start_();
    return inner_.begin();
  }
  auto end() { return inner_.end(); }
  void SetIterationTime(double seconds) { inner_.SetIterationTime(seconds); }

 private:
  Loop& inner_;
  const Gate& at_start_;
};

// A scenario that runs with --pairs: Derived gives its timed loop once, as
//   template <class Loop>
//   static void loop(Loop&, transports::Transport&, const Job&, Measurement&);
// (warm-up, then `for (auto _ : state)`), and both drive() overloads run
// it, calling `release` right before its first timed iteration.
template <class Derived>
class PairedScenario : public Scenario {
 public:
  bool supports_pairs() const final { return true; }
  void drive(benchmark::State& state, transports::Transport& t, const Job& job,
             Measurement& m, const Gate& release) const final {
    ReleasedLoop<benchmark::State> loop(state, release);
    Derived::loop(loop, t, job, m);
  }
  void drive(CountedLoop& counted, transports::Transport& t, const Job& job,
             Measurement& m, const Gate& release) const final {
    ReleasedLoop<CountedLoop> loop(counted, release);
    Derived::loop(loop, t, job, m);
  }
};

// The driver's side of a run of `s`: its timed loop, with the driver's CPU
// cost and the clock read around it.
template <class Loop>
void drive(const Scenario& s, Loop& loop, transports::Transport& t,
           const Job& job, Measurement& m, const Gate& release);
extern template void drive(const Scenario&, benchmark::State&,
                           transports::Transport&, const Job&, Measurement&,
                           const Gate&);
extern template void drive(const Scenario&, CountedLoop&,
                           transports::Transport&, const Job&, Measurement&,
                           const Gate&);

// The peer's side of a run of job.scenario; returns what goes in its
// "done" report, with its CPU cost over the timed phase (bench/cpu_cost.hpp)
// and the timed messages that cost covers.
nlohmann::json serve(transports::Transport& t, const Job& job,
                     const Fault& fault, const Gate& warm_gate = {});

}  // namespace ipcb::bench
