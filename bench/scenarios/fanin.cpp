// fanin: N producer processes, each on CPUs of its own where the machine
// has them (harness::assign_fanin), send back to back to the one driver
// (the consumer): after every producer's warm-up has been received, all
// are released at once by one write to a shared eventfd
// (harness::ReleaseGate); the clock runs from the release to the last
// message. Each message carries its producer's index, and every stride-th
// message of each producer its send time: per-producer counts (fairness)
// and send-to-receive latency (queueing included) sampled every stride-th
// message, the stride calibrated so that the consumer's clock reads stay
// below ~2 % of its time per message. The consumer touches every byte and
// its word sum must equal what the producers report sending. One variant
// per producer count (--producers); only on transports whose
// Capabilities::fanin_max_bytes allow it.
#include <algorithm>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>

#include "bench/report.hpp"
#include "bench/scenarios/registry.hpp"
#include "bench/scenarios/sample_stride.hpp"
#include "harness/clock.hpp"
#include "harness/cpu.hpp"
#include "harness/release.hpp"

namespace ipcb::bench {

namespace {

using harness::now_ns;
using nlohmann::ordered_json;
using transports::Transport;

SampleStride g_fanin_stride;  // sampling stride per case

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
  // At most every message is sampled; shrunk to the samples taken.
  m.oneway_ns.assign(static_cast<std::size_t>(job.iterations), 0);
  std::int64_t* latency = m.oneway_ns.data();
  std::int64_t* const latency_end = latency + m.oneway_ns.size();
  std::int64_t got = 0;
  timed_phase_begins();
  const std::int64_t t0 = now_ns();
  release();
  for (auto _ : state) {
    t.recv(in.data(), n);
    // Only sampled messages carry a send time: only they read the clock.
    const auto sent = static_cast<std::int64_t>(get64(in.data() + kTsA));
    if (sent != 0 && latency != latency_end) *latency++ = now_ns() - sent;
    const std::size_t p = sender(in.data());
    if (++m.per_producer[p] == quota[p]) {
      m.producer_done_ns[p] = now_ns() - t0;
      if (!first_done) {
        std::copy(m.per_producer.begin(), m.per_producer.end(),
                  m.shares_at_first_done.begin());
        first_done = true;
      }
    }
    m.received_sum += word_sum(in.data(), n);
    if constexpr (kVerify) {
      if (p < producers) checkers[p].check(in.data());
    }
    if (++got == job.iterations) {
      m.elapsed_ns = now_ns() - t0;
      state.SetIterationTime(static_cast<double>(m.elapsed_ns) * 1e-9);
    }
  }
  timed_phase_ends();
  m.oneway_ns.resize(static_cast<std::size_t>(latency - m.oneway_ns.data()));
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
  m.driver_messages = job.iterations;
}

// A fan-in producer: warm-up, the driver's release, then its share of the
// timed messages, each stamped with the producer's index and every
// job.stride-th with its send time (the others with 0).
// It reports the word sum of what it sent, kept from the constant body's sum
// plus the words that change, so that the producer does not touch every
// byte a second time.
nlohmann::json serve_fanin(Transport& t, const Job& job, const Fault& f,
                           const Gate& warm_gate) {
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
  timed_phase_begins();
  const std::uint64_t body =
      word_sum(out.data(), n) - header_words_sum(out.data(), job.verify);
  std::uint64_t sum = 0;
  const std::int64_t stride = std::max<std::int64_t>(job.stride, 1);
  for (std::int64_t i = 0; i < job.iterations; ++i) {
    if (i + job.warmup == fault_at) f.fire();
    if (job.verify) stamper.stamp(out.data(), seq++);
    put64(out.data() + kTsA,
          i % stride == 0 ? static_cast<std::uint64_t>(now_ns()) : 0);
    send(i + job.warmup);
    sum += body + header_words_sum(out.data(), job.verify);
  }
  timed_phase_ends();
  return {{"word_sum", sum}, {"sent", job.iterations}};
}

// Throws unless the consumer received exactly what the producers sent.
void check_delivery(const Job& job, const Measurement& m,
                    const std::vector<nlohmann::json>& done) {
  const auto producers = static_cast<std::size_t>(job.producers);
  if (const std::int64_t bad = m.per_producer.at(producers); bad > 0) {
    throw std::runtime_error(
        "fanin: " + std::to_string(bad) +
        " message(s) named no producer of this run (corrupted in transit)");
  }
  std::uint64_t sent_sum = 0;
  std::int64_t sent = 0;
  for (const auto& d : done) {
    sent_sum += d.at("word_sum").get<std::uint64_t>();
    sent += d.at("sent").get<std::int64_t>();
  }
  if (sent != job.iterations || sent_sum != m.received_sum) {
    throw std::runtime_error(
        "fanin: the consumer's checksum does not match what the producers "
        "sent (bytes were lost, duplicated or corrupted)");
  }
}

// Each producer's completion and share, and the fairness among them.
struct Fairness {
  ordered_json per_producer = ordered_json::array();
  harness::ShareRange range;
  double jain = 0;
};

Fairness fairness(const Measurement& m, std::size_t producers) {
  // Shares while all were competing; rates over each one's own time.
  const std::vector<double> shares =
      harness::shares_of({m.shares_at_first_done.data(), producers});
  std::vector<double> rates;
  Fairness f;
  for (std::size_t p = 0; p < producers; ++p) {
    rates.push_back(
        harness::per_second(m.per_producer[p], m.producer_done_ns[p]));
    f.per_producer.push_back({{"producer", p},
                              {"messages", m.per_producer[p]},
                              {"finished_after_ns", m.producer_done_ns[p]},
                              {"msgs_per_s", rates[p]},
                              {"share", shares[p]}});
  }
  f.range = harness::share_range(shares);
  f.jain = harness::jain_index(rates);
  return f;
}

// Fan-in figures: aggregate throughput, per-producer completion and
// shares, send-to-receive latency. Throws if the bytes received are not
// the bytes the producers sent.
void report_fanin(benchmark::State& state, const Job& job, Measurement& m,
                  const std::vector<nlohmann::json>& done, ordered_json& rec) {
  check_delivery(job, m, done);
  const auto producers = static_cast<std::size_t>(job.producers);
  const double secs = static_cast<double>(m.elapsed_ns) * 1e-9;
  const double msgs = static_cast<double>(job.iterations);
  const double bytes = msgs * static_cast<double>(job.message_bytes);
  const Fairness f = fairness(m, producers);
  harness::Distribution d = harness::describe(m.oneway_ns);
  state.counters["producers"] = static_cast<double>(producers);
  state.counters["msgs_per_s"] = msgs / secs;
  state.counters["bytes_per_second"] = bytes / secs;
  state.counters["jain_index"] = f.jain;
  set_latency_counters(state, "lat", d);
  rec["producers"] = job.producers;
  rec["throughput"] = {
      {"messages", job.iterations},
      {"bytes", job.iterations * static_cast<std::int64_t>(job.message_bytes)},
      {"elapsed_ns", m.elapsed_ns},
      {"msgs_per_s", msgs / secs},
      {"bytes_per_second", bytes / secs}};
  rec["fanin"] = {
      {"producers", job.producers},
      {"per_producer", f.per_producer},
      {"fairness",
       {{"min_share", f.range.min},
        {"max_share", f.range.max},
        {"jain_index", f.jain},
        {"share_basis",
         "messages each producer had delivered when the first one finished"},
        {"jain_basis", "each producer's messages / its finishing time"}}}};
  rec["fanin"]["release"] = harness::ReleaseGate::kMethod;
  rec["latency"] = latency_json(d);
  rec["latency"]["kind"] = "send_to_receive";
  rec["latency"]["stride"] = job.stride;
  rec["latency"]["sampling"] =
      "every stride-th timed message of each producer carries its send time "
      "and is timed on arrival (CLOCK_MONOTONIC); the others are not timed, "
      "so that the consumer's clock reads stay below ~2 % of its time per "
      "message";
  g_fanin_stride.calibrate(rec["name"], m.elapsed_ns, job.iterations);
}

class Fanin final : public Scenario {
 public:
  std::string name() const override { return "fanin"; }
  std::string size_problem(std::size_t bytes, bool verify) const override {
    return stamped_size_problem(name(), bytes, verify);
  }
  std::string transport_problem(const transports::TransportInfo& t,
                                std::size_t bytes) const override;
  std::vector<Variant> variants(const Options& opt) const override {
    std::vector<Variant> v;
    for (int p : opt.producers)
      v.push_back({name_suffix(p, "_producers"), 0, p, {{"producers", p}}});
    return v;
  }
  void plan(Job& job, const std::string& case_name) const override {
    job.stride = g_fanin_stride.get(case_name);
  }
  bool peers_wait_for_release() const override { return true; }
  std::vector<std::string> warnings(
      const Options& opt, const harness::Topology& topo,
      const std::vector<int>& allowed) const override;
  // Each producer sends its share of the timed messages.
  std::vector<Job> peer_jobs(const Job& job) const override {
    std::vector<Job> jobs;
    for (int i = 0; i < job.producers; ++i) {
      Job mine = job;
      mine.producer = i;
      mine.iterations = job.iterations / job.producers +
                        (i < job.iterations % job.producers ? 1 : 0);
      jobs.push_back(mine);
    }
    return jobs;
  }
  std::string peer_name(std::size_t i) const override {
    return "producer " + std::to_string(i);
  }
  void drive(benchmark::State& state, Transport& t, const Job& job,
             Measurement& m, const Gate& release) const override {
    job.verify ? fanin_loop<true>(state, t, job, m, release)
               : fanin_loop<false>(state, t, job, m, release);
  }
  nlohmann::json serve(Transport& t, const Job& job, const Fault& f,
                       const Gate& warm_gate) const override {
    return serve_fanin(t, job, f, warm_gate);
  }
  void report_sides(const Job& job, const Outcome& run,
                    ordered_json& rec) const override;
  PeerCost peer_cost(const Outcome& run) const override;
  void report(benchmark::State& state, const Job& job, Outcome& run,
              ordered_json& rec) const override {
    report_fanin(state, job, run.m, run.done, rec);
  }
};

std::string Fanin::transport_problem(const transports::TransportInfo& t,
                                     std::size_t bytes) const {
  const std::size_t max = t.caps.fanin_max_bytes;
  if (max == 0)
    return "fanin is not offered for " + t.name +
           ": it needs one receiver that several processes can send to "
           "without loss or interleaving (see ipcbench --list)";
  if (bytes > max)
    return std::to_string(bytes) + " B is beyond the " + std::to_string(max) +
           " B that " + t.name + " delivers whole from concurrent senders (" +
           t.caps.limits + "); larger messages would interleave";
  return "";
}

std::vector<std::string> Fanin::warnings(
    const Options& opt, const harness::Topology& topo,
    const std::vector<int>& allowed) const {
  return hub_warnings(opt, topo, allowed, opt.producers.back(),
                      {"fanin", "producer", "consumer"});
}

// The consumer checks what it receives; the producers check nothing.
void Fanin::report_sides(const Job& job, const Outcome& run,
                         ordered_json& rec) const {
  ordered_json peer_cpus = ordered_json::array();
  for (const auto& d : run.done) peer_cpus.push_back(d.value("cpu", -1));
  rec["cpus_observed"] = {{"driver", run.driver_cpu}, {"producers", peer_cpus}};
  if (!job.verify) return;
  rec["integrity"] = {{"driver_received", run.m.integrity.to_json()}};
  if (!run.m.integrity.ok())
    throw std::runtime_error("integrity check failed at the consumer: " +
                             run.m.integrity.describe());
}

// The "peer" side of the CPU cost is all producers together.
PeerCost Fanin::peer_cost(const Outcome& run) const {
  PeerCost all{{},
               0,
               std::string(kCpuSource) +
                   "; the consumer is the driver, all producers together "
                   "the peer"};
  for (const auto& d : run.done) {
    all.cost += CpuCost::from_json(d.at("cpu_cost"));
    all.messages += d.value("messages", std::int64_t{0});
  }
  return all;
}

}  // namespace

const Scenario& fanin_scenario() {
  static const Fanin s;
  return s;
}

}  // namespace ipcb::bench
