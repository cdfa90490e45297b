// oneway: a ping-pong whose messages carry send timestamps (same machine,
// same monotonic clock): the peer records driver->peer one-way latency, the
// driver records peer->driver, next to the round trip time.
#include <string>

#include "bench/framing.hpp"
#include "bench/report.hpp"
#include "bench/scenarios/registry.hpp"
#include "bench/scenarios/round_trip.hpp"
#include "harness/tsc.hpp"

namespace ipcb::bench {

namespace {

using nlohmann::ordered_json;
using transports::Transport;

void report_oneway(benchmark::State& state, Measurement& m,
                   const nlohmann::json& done, ordered_json& rec) {
  harness::Distribution rtt = harness::describe(m.rtt_ns);
  harness::Distribution b2a = harness::describe(m.oneway_ns);
  harness::Distribution a2b;
  ordered_json a2b_json = peer_distribution(done, "oneway_a2b", a2b);
  set_latency_counters(state, "oneway_a2b", a2b);
  set_latency_counters(state, "oneway_b2a", b2a);
  state.counters["rtt_half_p50_ns"] = rtt.find(50).value_or(0) / 2.0;
  rec["latency"] = latency_json(rtt);
  rec["latency"]["kind"] = "round_trip";
  rec["latency"]["batch"] = 1;
  rec["latency"]["timer"] = harness::round_trip_timer().source();
  rec["oneway"] = {{"driver_to_peer", a2b_json},
                   {"peer_to_driver", latency_json(b2a)},
                   {"rtt_half_p50_ns", rtt.find(50).value_or(0) / 2.0}};
}

class Oneway final : public Scenario {
 public:
  std::string name() const override { return "oneway"; }
  const char* cpu_per() const override { return "round_trip"; }
  bool alternates() const override { return true; }
  std::string size_problem(std::size_t bytes, bool verify) const override {
    return stamped_size_problem(name(), bytes, verify);
  }
  void drive(benchmark::State& state, Transport& t, const Job& job,
             Measurement& m, const Gate&) const override {
    job.verify ? round_trip::pingpong_loop<true, true>(state, t, job, m)
               : round_trip::pingpong_loop<false, true>(state, t, job, m);
  }
  nlohmann::json serve(Transport& t, const Job& job, const Fault& f,
                       const Gate&) const override {
    return round_trip::serve_pingpong(t, job, f, true);
  }
  void report(benchmark::State& state, const Job&, Outcome& run,
              ordered_json& rec) const override {
    report_oneway(state, run.m, run.done.at(0), rec);
  }
};

}  // namespace

const Scenario& oneway_scenario() {
  static const Oneway s;
  return s;
}

}  // namespace ipcb::bench
