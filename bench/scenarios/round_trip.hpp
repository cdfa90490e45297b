// The round-trip loops shared by pingpong and oneway: the driver sends the
// full payload and the peer returns it; with kOneway, each message also
// carries its send time (the driver's at [0,8), the peer's at [8,16)).
// Round trips are timed with the TSC one by one where the CPU has an
// invariant one; else with CLOCK_MONOTONIC, in batches for pingpong (see
// pingpong.cpp).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "bench/framing.hpp"
#include "bench/job.hpp"
#include "bench/measurement.hpp"
#include "bench/report.hpp"
#include "harness/clock.hpp"
#include "harness/tsc.hpp"
#include "transports/transport.hpp"

namespace ipcb::bench::round_trip {

using harness::now_ns;
using transports::Transport;

// The timer's two reads, in its own units (TSC ticks or ns).
struct TscReads {
  bool rdtscp;
  std::int64_t start() const noexcept {
    return static_cast<std::int64_t>(harness::tsc_start());
  }
  std::int64_t stop() const noexcept {
    return static_cast<std::int64_t>(harness::tsc_stop(rdtscp));
  }
};
struct ClockReads {
  std::int64_t start() const noexcept { return now_ns(); }
  std::int64_t stop() const noexcept { return now_ns(); }
};

// The timed round trips: each sample is `batch` round trips between one
// start and one stop read of the timer (batch is 1 with the TSC), stored in
// the timer's units and turned into ns per round trip after the loop by
// `to_ns`. Google Benchmark gets each sample's time per round trip. With
// kOneway the clock stamps that cross processes are read just outside the
// timer's reads.
template <bool kVerify, bool kOneway, class Loop, class Reads, class ToNs>
void timed_round_trips(Loop& state, Transport& t, const Job& job,
                       Measurement& m, const Reads& reads, double s_per_unit,
                       const ToNs& to_ns) {
  const std::size_t n = job.message_bytes;
  Buffer out(n), in(n);
  fill_pattern(out.data(), n, 1);
  Verifier stamper(n), checker(n);
  std::uint64_t seq = 0;
  for (std::int64_t i = 0; i < job.warmup; ++i) {
    if constexpr (kVerify) stamper.stamp(out.data(), seq++);
    t.send(out.data(), n);
    t.recv(in.data(), n);
    if constexpr (kVerify) checker.check(in.data());
  }
  m.rtt_ns.assign(static_cast<std::size_t>(job.iterations), 0);  // pre-faulted
  if constexpr (kOneway) m.oneway_ns.assign(m.rtt_ns.size(), 0);
  std::int64_t* sample = m.rtt_ns.data();
  std::int64_t* oneway = m.oneway_ns.data();
  const std::int64_t batch = job.batch;
  timed_phase_begins();
  const double s_per_trip = s_per_unit / static_cast<double>(batch);
  for (auto _ : state) {
    if constexpr (kOneway)
      put64(out.data() + kTsA, static_cast<std::uint64_t>(now_ns()));
    const std::int64_t t0 = reads.start();
    for (std::int64_t b = 0; b < batch; ++b) {
      if constexpr (kVerify) stamper.stamp(out.data(), seq++);
      t.send(out.data(), n);
      t.recv(in.data(), n);
      if constexpr (kVerify) checker.check(in.data());
    }
    const std::int64_t t1 = reads.stop();
    if constexpr (kOneway) {
      *oneway++ = now_ns() - static_cast<std::int64_t>(get64(in.data() + kTsB));
    }
    *sample++ = t1 - t0;
    state.SetIterationTime(static_cast<double>(t1 - t0) * s_per_trip);
  }
  timed_phase_ends();
  for (std::int64_t& x : m.rtt_ns) x = (to_ns(x) + batch / 2) / batch;
  m.integrity = checker.counts();
  m.driver_messages = job.timed_messages();
}

// Round trips timed with the process's round-trip timer (harness/tsc.hpp).
template <bool kVerify, bool kOneway, class Loop>
void pingpong_loop(Loop& state, Transport& t, const Job& job, Measurement& m) {
  const harness::RoundTripTimer& timer = harness::round_trip_timer();
  if (timer.tsc) {
    const harness::TickScale scale = timer.scale;
    timed_round_trips<kVerify, kOneway>(
        state, t, job, m, TscReads{timer.rdtscp}, 1.0 / timer.calibration.hz,
        [scale](std::int64_t ticks) { return scale.to_ns(ticks); });
  } else {
    timed_round_trips<kVerify, kOneway>(state, t, job, m, ClockReads{}, 1e-9,
                                        [](std::int64_t ns) { return ns; });
  }
}

inline nlohmann::json serve_pingpong(Transport& t, const Job& job,
                                     const Fault& f, bool oneway) {
  const std::size_t n = job.message_bytes;
  Buffer buf(n);
  Verifier checker(n);
  std::vector<std::int64_t> a2b;
  if (oneway) a2b.assign(static_cast<std::size_t>(job.timed_messages()), 0);
  const std::int64_t total = job.warmup + job.timed_messages();
  const bool corrupt = f.action == "corrupt";
  const std::int64_t fault_at = f.armed_for("run") && !corrupt ? f.after : -1;
  // "corrupt" flips one bit of the reply to message <after>: --verify on the
  // driver must catch it.
  const std::int64_t corrupt_at = f.armed_for("run") && corrupt ? f.after : -1;
  for (std::int64_t i = 0; i < total; ++i) {
    if (i == fault_at) f.fire();
    if (i == job.warmup) timed_phase_begins();
    t.recv(buf.data(), n);
    if (oneway) {
      const std::int64_t arrived = now_ns();
      if (i >= job.warmup) {
        a2b[static_cast<std::size_t>(i - job.warmup)] =
            arrived - static_cast<std::int64_t>(get64(buf.data() + kTsA));
      }
      put64(buf.data() + kTsB, static_cast<std::uint64_t>(now_ns()));
    }
    if (job.verify) checker.check(buf.data());
    if (i == corrupt_at) buf.data()[n - 1] ^= std::byte{0x20};
    t.send(buf.data(), n);
  }
  timed_phase_ends();
  nlohmann::json out = {{"integrity", checker.counts().to_json()}};
  if (oneway) out["oneway_a2b"] = distribution_json(a2b);
  return out;
}

}  // namespace ipcb::bench::round_trip
