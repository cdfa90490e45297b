#include "bench/scenarios.hpp"

#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "bench/report.hpp"
#include "harness/clock.hpp"
#include "harness/stats.hpp"

namespace ipcb::bench {

using harness::now_ns;
using transports::Transport;

std::vector<std::string> scenario_names() {
  return {"pingpong", "stream", "oneway", "rate", "fanin"};
}

bool is_scenario(const std::string& name) {
  auto n = scenario_names();
  return std::find(n.begin(), n.end(), name) != n.end();
}

std::string size_problem(const std::string& scenario, std::size_t bytes,
                         bool verify) {
  const bool stamped =
      scenario == "oneway" || scenario == "rate" || scenario == "fanin";
  if (stamped && bytes < 16)
    return scenario + " needs messages of at least 16 B to carry timestamps";
  if (stamped && verify && bytes < kHeader)
    return scenario + " with --verify needs messages of at least 32 B";
  return "";
}

namespace {

// Sleeps, then yields, until the monotonic clock reaches target; returns
// the time it was reached. A timer wake-up can be tens of microseconds late
// (more on a virtual machine), so the sleep ends kSleepMarginNs early and the
// rest is spent yielding: the sender's own lateness must not end up in the
// measured latency. Yielding rather than pure spinning lets a peer sharing
// this CPU run.
constexpr std::int64_t kSleepMarginNs = 200000;
std::int64_t wait_until(std::int64_t target) {
  for (;;) {
    const std::int64_t t = now_ns();
    if (t >= target) return t;
    if (target - t > 2 * kSleepMarginNs) {
      const std::int64_t wake = target - kSleepMarginNs;
      timespec ts{wake / 1000000000, wake % 1000000000};
      ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
    } else {
      ::sched_yield();
    }
  }
}

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
  m.integrity = checker.counts();
  m.driver_messages = job.warmup + job.timed_messages();
}

// One-way warm-up of stream and rate: untimed messages (the peer records
// nothing for them), then the peer's 1-byte confirmation.
template <bool kVerify>
void send_warmup(Transport& t, std::byte* out, const Job& job,
                 const Verifier& stamper, std::uint64_t& seq) {
  for (std::int64_t i = 0; i < job.warmup; ++i) {
    if constexpr (kVerify) stamper.stamp(out, seq++);
    t.send(out, job.message_bytes);
  }
  std::byte ack[1];
  t.recv(ack, 1);
}

template <bool kVerify, class Loop>
void stream_loop(Loop& state, Transport& t, const Job& job, Measurement& m) {
  const std::size_t n = job.message_bytes;
  Buffer out(n);
  std::byte ack[1];
  fill_pattern(out.data(), n, 2);
  Verifier stamper(n);
  std::uint64_t seq = 0;
  send_warmup<kVerify>(t, out.data(), job, stamper, seq);
  m.expected_sum =
      word_sum(out.data(), n) * static_cast<std::uint64_t>(job.iterations);
  std::int64_t sent = 0, t0 = 0;
  for (auto _ : state) {
    if (sent == 0) t0 = now_ns();
    if constexpr (kVerify) stamper.stamp(out.data(), seq++);
    t.send(out.data(), n);
    if (++sent == job.iterations) {
      t.recv(ack, 1);  // the consumer has received and touched everything
      m.elapsed_ns = now_ns() - t0;
      state.SetIterationTime(static_cast<double>(m.elapsed_ns) * 1e-9);
    }
  }
  m.driver_messages = job.warmup + job.iterations;
}

template <bool kVerify, class Loop>
void rate_loop(Loop& state, Transport& t, const Job& job, Measurement& m) {
  const std::size_t n = job.message_bytes;
  Buffer out(n);
  std::byte ack[1];
  fill_pattern(out.data(), n, 3);
  Verifier stamper(n);
  std::uint64_t seq = 0;
  send_warmup<kVerify>(t, out.data(), job, stamper, seq);
  const double period = 1e9 / job.rate_per_s;
  const std::int64_t start = now_ns() + 100000;
  std::int64_t i = 0;
  for (auto _ : state) {
    const auto intended =
        start + static_cast<std::int64_t>(static_cast<double>(i) * period);
    const std::int64_t actual = wait_until(intended);
    if (static_cast<double>(actual - intended) >= period) ++m.missed_slots;
    if constexpr (kVerify) stamper.stamp(out.data(), seq++);
    put64(out.data() + kTsA, static_cast<std::uint64_t>(intended));
    t.send(out.data(), n);
    if (++i == job.iterations) {
      t.recv(ack, 1);
      m.elapsed_ns = now_ns() - start;
      state.SetIterationTime(static_cast<double>(m.elapsed_ns) * 1e-9);
    }
  }
  m.driver_messages = job.warmup + job.iterations;
}

// The words of a fan-in message that change per message: timestamp and
// producer index, plus sequence number and checksum with --verify.
inline std::uint64_t header_words_sum(const std::byte* p, bool verify) {
  std::uint64_t s = get64(p + kTsA) + get64(p + kTsB);
  if (verify) s += get64(p + kSeq) + get64(p + kSum);
  return s;
}

template <bool kVerify, class Loop>
void fanin_loop(Loop& state, Transport& t, const Job& job, Measurement& m,
                const std::function<void()>& release) {
  const std::size_t n = job.message_bytes;
  const auto producers = static_cast<std::size_t>(job.producers);
  Buffer in(n);
  std::vector<Verifier> checkers(producers, Verifier(n));
  // Index of the sender, or `producers` for an index no producer has.
  auto sender = [&](const std::byte* p) {
    const std::uint64_t id = get64(p + kTsB);
    return id < producers ? static_cast<std::size_t>(id) : producers;
  };
  std::int64_t unknown = 0;
  for (std::int64_t i = 0; i < job.warmup * job.producers; ++i) {
    t.recv(in.data(), n);
    const std::size_t p = sender(in.data());
    if (p == producers) ++unknown;
    if constexpr (kVerify) {
      if (p < producers) checkers[p].check(in.data());
    }
  }
  m.per_producer.assign(producers + 1, 0);
  m.producer_done_ns.assign(producers + 1, 0);
  // Each producer's share of the timed messages (as the harness split
  // them); the unknown slot never completes.
  std::vector<std::int64_t> quota(producers + 1, -1);
  for (std::size_t p = 0; p < producers; ++p)
    quota[p] = job.iterations / job.producers +
               (static_cast<std::int64_t>(p) < job.iterations % job.producers);
  bool first_done = false;
  m.shares_at_first_done.assign(producers + 1, 0);  // no allocation below
  m.oneway_ns.assign(static_cast<std::size_t>(job.iterations), 0);
  std::int64_t* latency = m.oneway_ns.data();
  std::int64_t got = 0;
  const std::int64_t t0 = now_ns();
  release();
  for (auto _ : state) {
    t.recv(in.data(), n);
    const std::int64_t arrived = now_ns();
    const std::size_t p = sender(in.data());
    m.producer_done_ns[p] = arrived - t0;
    if (++m.per_producer[p] == quota[p] && !first_done) {
      std::copy(m.per_producer.begin(), m.per_producer.end(),
                m.shares_at_first_done.begin());
      first_done = true;
    }
    *latency++ = arrived - static_cast<std::int64_t>(get64(in.data() + kTsA));
    m.received_sum += word_sum(in.data(), n);
    if constexpr (kVerify) {
      if (p < producers) checkers[p].check(in.data());
    }
    if (++got == job.iterations) {
      m.elapsed_ns = arrived - t0;
      state.SetIterationTime(static_cast<double>(m.elapsed_ns) * 1e-9);
    }
  }
  if constexpr (kVerify) {
    for (const auto& c : checkers) {
      m.integrity.checked += c.counts().checked;
      m.integrity.corrupt += c.counts().corrupt;
      m.integrity.gaps += c.counts().gaps;
      m.integrity.duplicates += c.counts().duplicates;
    }
    m.integrity.corrupt += unknown + m.per_producer[producers];
  }
  m.per_producer[producers] += unknown;
  m.driver_messages = job.warmup * job.producers + job.iterations;
}

}  // namespace

template <class Loop>
void drive_fanin(Loop& state, Transport& t, const Job& job, Measurement& m,
                 const std::function<void()>& release) {
  const CpuCost before = CpuCost::now(false);
  m.start_ns = now_ns();
  job.verify ? fanin_loop<true>(state, t, job, m, release)
             : fanin_loop<false>(state, t, job, m, release);
  m.end_ns = now_ns();
  m.driver_cpu = CpuCost::now(false) - before;
}

template void drive_fanin(benchmark::State&, Transport&, const Job&,
                          Measurement&, const std::function<void()>&);
template void drive_fanin(CountedLoop&, Transport&, const Job&, Measurement&,
                          const std::function<void()>&);

template <class Loop>
void drive(Loop& state, Transport& t, const Job& job, Measurement& m) {
  const CpuCost before = CpuCost::now(false);
  m.start_ns = now_ns();
  const bool v = job.verify;
  if (job.scenario == "pingpong") {
    v ? pingpong_loop<true, false>(state, t, job, m)
      : pingpong_loop<false, false>(state, t, job, m);
  } else if (job.scenario == "oneway") {
    v ? pingpong_loop<true, true>(state, t, job, m)
      : pingpong_loop<false, true>(state, t, job, m);
  } else if (job.scenario == "stream") {
    v ? stream_loop<true>(state, t, job, m)
      : stream_loop<false>(state, t, job, m);
  } else if (job.scenario == "rate") {
    v ? rate_loop<true>(state, t, job, m) : rate_loop<false>(state, t, job, m);
  } else {
    throw std::invalid_argument("unknown scenario '" + job.scenario + "'");
  }
  m.end_ns = now_ns();
  m.driver_cpu = CpuCost::now(false) - before;
}

template void drive(benchmark::State&, Transport&, const Job&, Measurement&);
template void drive(CountedLoop&, Transport&, const Job&, Measurement&);

void drive_conformance(Transport& t, const Job& job) {
  for (std::size_t size : job.sizes) {
    Buffer out(size), in(size);
    fill_pattern(out.data(), size, static_cast<std::uint32_t>(size));
    t.send(out.data(), size);
    t.recv(in.data(), size);
    auto bad =
        check_pattern(in.data(), size, static_cast<std::uint32_t>(size) + 1);
    if (bad >= 0) {
      throw std::runtime_error("reply of " + std::to_string(size) +
                               " B differs at byte " + std::to_string(bad));
    }
  }
}

namespace {

nlohmann::ordered_json distribution_json(std::vector<std::int64_t>& samples) {
  harness::Distribution d = harness::describe(samples);
  return latency_json(d);
}

nlohmann::json serve_pingpong(Transport& t, const Job& job, const Fault& f,
                              bool oneway) {
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
  nlohmann::json out = {{"integrity", checker.counts().to_json()}};
  if (oneway) out["oneway_a2b"] = distribution_json(a2b);
  return out;
}

nlohmann::json serve_stream(Transport& t, const Job& job, const Fault& f,
                            bool rate) {
  const std::size_t n = job.message_bytes;
  Buffer buf(n);
  Verifier checker(n);
  const std::byte ack[1] = {std::byte{1}};
  const std::int64_t fault_at = f.armed_for("run") ? f.after : -1;
  // The fault count includes warm-up messages, as in pingpong, so that a
  // short run still reaches it.
  for (std::int64_t i = 0; i < job.warmup; ++i) {
    if (i == fault_at) f.fire();
    t.recv(buf.data(), n);
    if (job.verify) checker.check(buf.data());
  }
  t.send(ack, 1);
  std::vector<std::int64_t> late;
  if (rate) late.assign(static_cast<std::size_t>(job.iterations), 0);
  std::uint64_t sum = 0;
  for (std::int64_t i = 0; i < job.iterations; ++i) {
    if (i + job.warmup == fault_at) f.fire();
    t.recv(buf.data(), n);
    if (rate) {
      late[static_cast<std::size_t>(i)] =
          now_ns() - static_cast<std::int64_t>(get64(buf.data() + kTsA));
    }
    sum += word_sum(buf.data(), n);
    if (job.verify) checker.check(buf.data());
  }
  t.send(ack, 1);
  nlohmann::json out = {{"word_sum", sum},
                        {"integrity", checker.counts().to_json()}};
  if (rate) out["latency_from_intended"] = distribution_json(late);
  return out;
}

// A fan-in producer: warm-up, the driver's release, then its share of the
// timed messages, each stamped with its send time and the producer's index.
// It reports the word sum of what it sent, kept from the constant body's sum
// plus the words that change, so that the producer does not touch every
// byte a second time.
nlohmann::json serve_fanin(Transport& t, const Job& job, const Fault& f,
                           const std::function<void()>& warm_gate) {
  const std::size_t n = job.message_bytes;
  Buffer out(n);
  fill_pattern(out.data(), n, 5 + static_cast<std::uint32_t>(job.producer));
  put64(out.data() + kTsB, static_cast<std::uint64_t>(job.producer));
  Verifier stamper(n);
  std::uint64_t seq = 0;
  // "corrupt" flips one bit of message <after> after it was stamped and
  // counted: the consumer must notice (checksum with --verify, else the
  // word sum).
  const bool corrupt = f.action == "corrupt";
  const std::int64_t fault_at = f.armed_for("run") && !corrupt ? f.after : -1;
  const std::int64_t corrupt_at = f.armed_for("run") && corrupt ? f.after : -1;
  auto send = [&](std::int64_t i) {
    if (i == corrupt_at) out.data()[n - 1] ^= std::byte{0x20};
    t.send(out.data(), n);
    if (i == corrupt_at) out.data()[n - 1] ^= std::byte{0x20};
  };
  for (std::int64_t i = 0; i < job.warmup; ++i) {
    if (i == fault_at) f.fire();
    if (job.verify) stamper.stamp(out.data(), seq++);
    put64(out.data() + kTsA, static_cast<std::uint64_t>(now_ns()));
    send(i);
  }
  if (warm_gate) warm_gate();
  const std::uint64_t body =
      word_sum(out.data(), n) - header_words_sum(out.data(), job.verify);
  std::uint64_t sum = 0;
  for (std::int64_t i = 0; i < job.iterations; ++i) {
    if (i + job.warmup == fault_at) f.fire();
    if (job.verify) stamper.stamp(out.data(), seq++);
    put64(out.data() + kTsA, static_cast<std::uint64_t>(now_ns()));
    send(i + job.warmup);
    sum += body + header_words_sum(out.data(), job.verify);
  }
  return {{"word_sum", sum}, {"sent", job.iterations}};
}

nlohmann::json serve_conformance(Transport& t, const Job& job) {
  for (std::size_t size : job.sizes) {
    Buffer buf(size);
    t.recv(buf.data(), size);
    auto bad =
        check_pattern(buf.data(), size, static_cast<std::uint32_t>(size));
    if (bad >= 0) {
      throw std::runtime_error("message of " + std::to_string(size) +
                               " B differs at byte " + std::to_string(bad));
    }
    fill_pattern(buf.data(), size, static_cast<std::uint32_t>(size) + 1);
    t.send(buf.data(), size);
  }
  return nlohmann::json::object();
}

}  // namespace

nlohmann::json serve(Transport& t, const Job& job, const Fault& fault,
                     bool whole_process,
                     const std::function<void()>& warm_gate) {
  const CpuCost before = CpuCost::now(whole_process);
  nlohmann::json out;
  if (job.scenario == "pingpong")
    out = serve_pingpong(t, job, fault, false);
  else if (job.scenario == "oneway")
    out = serve_pingpong(t, job, fault, true);
  else if (job.scenario == "stream")
    out = serve_stream(t, job, fault, false);
  else if (job.scenario == "rate")
    out = serve_stream(t, job, fault, true);
  else if (job.scenario == "fanin")
    out = serve_fanin(t, job, fault, warm_gate);
  else if (job.scenario == "conformance")
    out = serve_conformance(t, job);
  else
    throw std::invalid_argument("unknown scenario '" + job.scenario + "'");
  out["cpu_cost"] = (CpuCost::now(whole_process) - before).to_json();
  out["messages"] = job.warmup + job.timed_messages();
  return out;
}

}  // namespace ipcb::bench
