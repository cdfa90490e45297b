// The round-trip loops shared by pingpong and oneway: the driver sends the
// full payload and the peer returns it; with kOneway, each message also
// carries its send time (the driver's at [0,8), the peer's at [8,16)).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "bench/framing.hpp"
#include "bench/job.hpp"
#include "bench/measurement.hpp"
#include "bench/report.hpp"
#include "harness/clock.hpp"
#include "transports/transport.hpp"

namespace ipcb::bench::round_trip {

using harness::now_ns;
using transports::Transport;

template <bool kVerify, bool kOneway, class Loop>
void pingpong_loop(Loop& state, Transport& t, const Job& job, Measurement& m) {
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
  for (auto _ : state) {
    const std::int64_t t0 = now_ns();
    for (std::int64_t b = 0; b < batch; ++b) {
      if constexpr (kVerify) stamper.stamp(out.data(), seq++);
      if constexpr (kOneway)
        put64(out.data() + kTsA, static_cast<std::uint64_t>(t0));
      t.send(out.data(), n);
      t.recv(in.data(), n);
      if constexpr (kVerify) checker.check(in.data());
    }
    const std::int64_t t1 = now_ns();
    if constexpr (kOneway) {
      *oneway++ = t1 - static_cast<std::int64_t>(get64(in.data() + kTsB));
    }
    const std::int64_t rtt = (t1 - t0 + batch / 2) / batch;
    *sample++ = rtt;
    state.SetIterationTime(static_cast<double>(t1 - t0) * 1e-9 /
                           static_cast<double>(batch));
  }
  timed_phase_ends();
  m.integrity = checker.counts();
  m.driver_messages = job.timed_messages();
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
