// rate: open loop. The driver sends at a fixed rate on a schedule that
// never waits for the peer; each message carries its *intended* send time
// and the peer records arrival minus intended time, so a stall shows in the
// tail (no coordinated omission). One variant per offered rate (--rate).
#include <sched.h>

#include <cmath>
#include <string>

#include "bench/report.hpp"
#include "bench/scenarios/registry.hpp"
#include "bench/scenarios/streaming.hpp"
#include "sys/threads.hpp"

namespace ipcb::bench {

namespace {

using harness::now_ns;
using nlohmann::ordered_json;
using transports::Transport;

// The one pacing method, at every offered rate: yield the CPU until the
// monotonic clock reaches the slot. A timer sleep would wake tens of
// microseconds late on a virtual machine and would change conditions
// between low and high rates (sleeping at one, spinning at the other);
// yielding rather than pure spinning lets a peer sharing this CPU run. Its
// CPU time is measured and reported apart from the transport's
// (cpu_pacing_ns_per_msg); its lateness is the sender's lag.
constexpr const char* kPacing = "yield";
constexpr const char* kPacingDetail =
    "sched_yield until the monotonic clock reaches each message's slot, at "
    "every rate";
void wait_until(std::int64_t target) {
  while (now_ns() < target) ::sched_yield();
}

template <bool kVerify, class Loop>
void rate_loop(Loop& state, Transport& t, const Job& job, Measurement& m) {
  const std::size_t n = job.message_bytes;
  streaming::Sender<kVerify> sender(t, job, 3);
  std::byte* out = sender.out.data();
  std::byte ack[1];
  const double period = 1e9 / job.rate_per_s;
  const std::int64_t start = now_ns() + 100000;
  std::int64_t i = 0;
  timed_phase_begins();
  for (auto _ : state) {
    const auto intended =
        start + static_cast<std::int64_t>(static_cast<double>(i) * period);
    const std::int64_t cpu0 = sys::this_thread_cpu_ns();
    wait_until(intended);
    m.pacing_cpu_ns += sys::this_thread_cpu_ns() - cpu0;
    const std::int64_t actual = now_ns();
    if (static_cast<double>(actual - intended) >= period) ++m.missed_slots;
    sender.stamp();
    put64(out + kTsA, static_cast<std::uint64_t>(intended));
    put64(out + kTsB, static_cast<std::uint64_t>(actual));
    t.send(out, n);
    if (++i == job.iterations) {
      t.recv(ack, 1);
      m.elapsed_ns = now_ns() - start;
      state.SetIterationTime(static_cast<double>(m.elapsed_ns) * 1e-9);
    }
  }
  timed_phase_ends();
  m.driver_messages = job.iterations;
}

void report_rate(benchmark::State& state, const Job& job, const Measurement& m,
                 const nlohmann::json& done, ordered_json& rec) {
  harness::Distribution lat;
  ordered_json lat_json = peer_distribution(done, "latency_from_intended", lat);
  ordered_json from_actual = done.at("latency_from_actual_send");
  // Across hosts the peer timed arrivals on the server's clock.
  const nlohmann::json clock = remote_clock(done);
  std::string not_reported;
  if (!clock.is_null()) {
    const std::int64_t offset = clock["offset_ns"];
    shift_distribution(lat_json, -offset);
    shift_distribution(from_actual, -offset);
    lat = harness::Distribution{};
    lat_json = peer_distribution({{"l", lat_json}}, "l", lat);
    lat_json["clock"] = clock;
    if (!one_way_trusted(clock, lat.find(50).value_or(0), not_reported))
      lat_json = ordered_json();
  }
  const double achieved = static_cast<double>(job.iterations) /
                          (static_cast<double>(m.elapsed_ns) * 1e-9);
  if (!lat_json.is_null()) set_latency_counters(state, "lat", lat);
  state.counters["offered_per_s"] = job.rate_per_s;
  state.counters["achieved_per_s"] = achieved;
  state.counters["missed_slots"] = static_cast<double>(m.missed_slots);
  harness::Distribution lag;
  ordered_json lag_json = peer_distribution(done, "sender_lag", lag);
  set_percentile_counter(state, "sender_lag_p99_ns", lag, 99);
  if (!lat_json.is_null()) {
    rec["latency"] = lat_json;
    rec["latency"]["kind"] = "from_intended_send";
  }
  rec["rate"] = {{"offered_per_s", job.rate_per_s},
                 {"achieved_per_s", achieved},
                 {"messages", job.iterations},
                 {"missed_slots", m.missed_slots},
                 {"pacing", {{"method", kPacing}, {"detail", kPacingDetail}}},
                 {"elapsed_ns", m.elapsed_ns},
                 {"sender_lag", lag_json},
                 {"latency_from_actual_send", from_actual}};
  if (!not_reported.empty()) {
    rec["rate"]["latency_not_reported"] = not_reported;
    rec["rate"].erase("latency_from_actual_send");
  }
}

class Rate final : public Scenario {
 public:
  std::string name() const override { return "rate"; }
  std::string size_problem(std::size_t bytes, bool verify) const override {
    return stamped_size_problem(name(), bytes, verify);
  }
  std::vector<Variant> variants(const Options& opt) const override {
    std::vector<Variant> v;
    for (double p : opt.rate_percents) {
      v.push_back({percent_suffix(p), 0, 0, {{"offered_rate_percent", p}}, p});
    }
    for (double r : opt.rates) {
      v.push_back({name_suffix(std::llround(r), "_per_s"),
                   r,
                   0,
                   {{"offered_rate_per_s", r}}});
    }
    return v;
  }
  void drive(benchmark::State& state, Transport& t, const Job& job,
             Measurement& m, const Gate&) const override {
    job.verify ? rate_loop<true>(state, t, job, m)
               : rate_loop<false>(state, t, job, m);
  }
  nlohmann::json serve(Transport& t, const Job& job, const Fault& f,
                       const Gate&) const override {
    return streaming::serve_stream(t, job, f, true);
  }
  void report(benchmark::State& state, const Job& job, Outcome& run,
              ordered_json& rec) const override {
    report_rate(state, job, run.m, run.done.at(0), rec);
  }
};

}  // namespace

const Scenario& rate_scenario() {
  static const Rate s;
  return s;
}

}  // namespace ipcb::bench
