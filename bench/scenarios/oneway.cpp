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
  const double rtt_half = rtt.find(50).value_or(0) / 2.0;
  rec["latency"] = latency_json(rtt);
  rec["latency"]["kind"] = "round_trip";
  rec["latency"]["batch"] = 1;
  rec["latency"]["timer"] = harness::round_trip_timer().source();
  state.counters["rtt_half_p50_ns"] = rtt_half;
  ordered_json a2b_json = ordered_json(done.at("oneway_a2b"));
  const nlohmann::json clock = remote_clock(done);
  const bool remote = !clock.is_null();
  const std::int64_t offset =
      remote ? clock["offset_ns"].get<std::int64_t>() : 0;
  if (remote) {
    shift_distribution(a2b_json, -offset);
    for (auto& v : m.oneway_ns) v += offset;
  }
  harness::Distribution b2a = harness::describe(m.oneway_ns);
  rec["oneway"] = {{"rtt_half_p50_ns", rtt_half}};
  if (remote) {
    rec["oneway"]["clock"] = clock;
    std::string why;
    const double figure = std::min<double>(
        a2b_json["percentiles_ns"].value("50", 0), b2a.find(50).value_or(0));
    if (!one_way_trusted(clock, figure, why)) {
      rec["oneway"]["not_reported"] =
          why + "; rtt_half_p50_ns (half the round trip) stands in";
      return;
    }
  }
  harness::Distribution a2b;
  nlohmann::json a2b_plain = a2b_json;
  nlohmann::json holder = {{"oneway_a2b", a2b_plain}};
  rec["oneway"]["driver_to_peer"] =
      peer_distribution(holder, "oneway_a2b", a2b);
  rec["oneway"]["peer_to_driver"] = latency_json(b2a);
  set_latency_counters(state, "oneway_a2b", a2b);
  set_latency_counters(state, "oneway_b2a", b2a);
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
