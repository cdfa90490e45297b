// fanout: one producer (the driver) sends back to back, and each of N
// consumer processes (--consumers), on CPUs of their own where the machine
// has them (harness::assign_fanin, the producer as the hub), receives every
// message: what publish/subscribe and broadcast rings are for. Only on
// transports whose Capabilities::fanout is not kNone.
//
// Every message carries its sequence number (untimed warm-up messages and
// the end-of-run marker carry tags of their own) and every stride-th its
// send time, timed by every consumer on arrival: send-to-receive latency
// per consumer, queueing included, the stride calibrated as fanin's
// (sample_stride.hpp) and at most kMaxSamples per consumer. Each consumer
// sums every message it receives and checks it against the constant body
// plus the words that change, so a corrupted message is caught even when
// others were lost. A transport that may drop for a slow consumer
// (Fanout::kMayDrop) loses whole messages: each consumer counts the
// sequence numbers it never saw, and the record says so; on a lossless
// one a single missing message fails the benchmark. The run ends with the
// end marker: sent once on a lossless transport; on one that may drop,
// sent again every millisecond until every consumer has counted itself
// done on the run's harness::FinishCount.
#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "bench/report.hpp"
#include "bench/scenarios/registry.hpp"
#include "bench/scenarios/sample_stride.hpp"
#include "harness/clock.hpp"
#include "harness/release.hpp"

namespace ipcb::bench {

namespace {

using harness::now_ns;
using nlohmann::ordered_json;
using transports::Transport;

// Tags in word kTsB besides a timed message's sequence number.
constexpr std::uint64_t kWarmTag = ~std::uint64_t{0} - 1;
constexpr std::uint64_t kEndTag = ~std::uint64_t{0};
constexpr std::uint32_t kPatternSeed = 11;
// Latency samples each consumer keeps (and reports over the control
// channel) at most: the stride is raised to keep to it.
constexpr std::int64_t kMaxSamples = 8192;
// How long the producer resends the end marker before it gives up on a
// consumer that never saw one.
constexpr std::chrono::seconds kEndPatience{30};

SampleStride g_fanout_stride;  // sampling stride per case

// The words of a fan-out message that change per message.
inline std::uint64_t changing_words(const std::byte* p, bool verify) {
  std::uint64_t s = get64(p + kTsA) + get64(p + kTsB);
  if (verify) s += get64(p + kSeq) + get64(p + kSum);
  return s;
}

// The producer's message buffer: the pattern, both tags cleared.
Buffer producer_buffer(std::size_t n) {
  Buffer b(n);
  fill_pattern(b.data(), n, kPatternSeed);
  put64(b.data() + kTsA, 0);
  put64(b.data() + kTsB, 0);
  return b;
}

// Sends the end marker; on a transport that may drop, again every
// millisecond until every consumer has counted itself done.
void end_run(Transport& t, const Job& job, std::byte* out) {
  const std::size_t n = job.message_bytes;
  put64(out + kTsA, 0);
  put64(out + kTsB, kEndTag);
  t.send(out, n);
  if (!job.may_drop) return;
  const auto until = std::chrono::steady_clock::now() + kEndPatience;
  std::int64_t done = 0;
  while ((done += harness::FinishCount::take(job.finish_fd)) < job.consumers) {
    if (std::chrono::steady_clock::now() > until)
      throw std::runtime_error(
          "fanout: " + std::to_string(job.consumers - done) + " of " +
          std::to_string(job.consumers) +
          " consumer(s) never received the end of the run in " +
          std::to_string(kEndPatience.count()) + " s of resending it");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    t.send(out, n);
  }
}

template <bool kVerify, class Loop>
void fanout_loop(Loop& state, Transport& t, const Job& job, Measurement& m,
                 const Gate& release) {
  const std::size_t n = job.message_bytes;
  Buffer out = producer_buffer(n);
  Verifier stamper(n);
  put64(out.data() + kTsB, kWarmTag);
  for (std::int64_t i = 0; i < job.warmup; ++i) {
    if constexpr (kVerify) stamper.stamp(out.data(), 0);
    t.send(out.data(), n);
  }
  release();
  const std::int64_t stride = std::max<std::int64_t>(job.stride, 1);
  std::int64_t i = 0;
  timed_phase_begins();
  const std::int64_t t0 = now_ns();
  for (auto _ : state) {
    put64(out.data() + kTsB, static_cast<std::uint64_t>(i));
    put64(out.data() + kTsA,
          i % stride == 0 ? static_cast<std::uint64_t>(now_ns()) : 0);
    if constexpr (kVerify)
      stamper.stamp(out.data(), static_cast<std::uint64_t>(i));
    t.send(out.data(), n);
    if (++i == job.iterations) {
      m.elapsed_ns = now_ns() - t0;
      state.SetIterationTime(static_cast<double>(m.elapsed_ns) * 1e-9);
    }
  }
  timed_phase_ends();
  m.timed_start_ns = t0;  // the consumers' finishing times count from here
  m.driver_messages = job.iterations;
  end_run(t, job, out.data());
}

// What one consumer counts.
struct Tally {
  std::int64_t received = 0;   // timed messages
  std::int64_t lost = 0;       // sequence numbers never seen
  std::int64_t reordered = 0;  // a sequence number at or below one seen
  std::int64_t corrupt = 0;    // word sum not the producer's
  std::int64_t warm = 0;       // warm-up messages
  std::int64_t last_ns = 0;    // clock at the last timed arrival read
};

// A consumer: every message until the end marker, each summed and checked,
// every stamped one timed.
template <bool kVerify>
nlohmann::json serve_fanout(Transport& t, const Job& job, const Fault& f) {
  const std::size_t n = job.message_bytes;
  Buffer in(n);
  std::uint64_t body = 0;
  {
    Buffer ref = producer_buffer(n);
    if constexpr (kVerify) Verifier(n).stamp(ref.data(), 0);
    body = word_sum(ref.data(), n) - changing_words(ref.data(), kVerify);
  }
  Verifier checker(n);
  std::vector<std::int64_t> samples;
  samples.reserve(static_cast<std::size_t>(kMaxSamples));
  const std::uint64_t last = static_cast<std::uint64_t>(job.iterations) - 1;
  const std::int64_t fault_at = f.armed_for("run") ? f.after : -1;
  Tally c;
  std::uint64_t next = 0;
  bool started = false;
  for (std::int64_t k = 0;; ++k) {
    if (k == fault_at) f.fire();
    t.recv(in.data(), n);
    const std::uint64_t tag = get64(in.data() + kTsB);
    if (tag == kEndTag) break;
    if (tag == kWarmTag) {
      ++c.warm;
      continue;
    }
    if (!started) {
      timed_phase_begins();
      started = true;
    }
    const auto sent = static_cast<std::int64_t>(get64(in.data() + kTsA));
    if (sent != 0 || tag == last) {
      c.last_ns = now_ns();
      if (sent != 0 && samples.size() < samples.capacity())
        samples.push_back(c.last_ns - sent);
    }
    if (tag >= next) {
      c.lost += static_cast<std::int64_t>(tag - next);
      next = tag + 1;
    } else {
      ++c.reordered;
    }
    ++c.received;
    if (word_sum(in.data(), n) != body + changing_words(in.data(), kVerify))
      ++c.corrupt;
    if constexpr (kVerify) checker.check(in.data());
  }
  if (!started) timed_phase_begins();
  timed_phase_ends();
  c.lost += job.iterations - static_cast<std::int64_t>(next);
  if (job.finish_fd >= 0) harness::FinishCount::add_one(job.finish_fd);
  nlohmann::json out = {{"received", c.received},    {"lost", c.lost},
                        {"reordered", c.reordered},  {"corrupt", c.corrupt},
                        {"warmup_received", c.warm}, {"last_ns", c.last_ns},
                        {"samples", samples},        {"messages", c.received}};
  if constexpr (kVerify) out["integrity"] = checker.counts().to_json();
  return out;
}

// Throws when a consumer received a corrupted message, or missed one on a
// transport that promises not to drop.
void check_delivery(const Job& job, const std::vector<nlohmann::json>& done) {
  for (std::size_t i = 0; i < done.size(); ++i) {
    const std::string who = "fanout: consumer " + std::to_string(i);
    if (const auto bad = done[i].at("corrupt").get<std::int64_t>(); bad > 0)
      throw std::runtime_error(who + " received " + std::to_string(bad) +
                               " corrupted message(s)");
    if (const auto back = done[i].at("reordered").get<std::int64_t>(); back > 0)
      throw std::runtime_error(who + " received " + std::to_string(back) +
                               " message(s) out of order or twice");
    const auto lost = done[i].at("lost").get<std::int64_t>();
    if (lost > 0 && !job.may_drop)
      throw std::runtime_error(
          who + " missed " + std::to_string(lost) + " of " +
          std::to_string(job.iterations) +
          " messages on a transport that promises not to drop");
  }
}

void report_fanout(benchmark::State& state, const Job& job, Outcome& run,
                   ordered_json& rec) {
  check_delivery(job, run.done);
  const Measurement& m = run.m;
  const auto size = static_cast<double>(job.message_bytes);
  ordered_json per = ordered_json::array();
  std::vector<std::int64_t> all;
  std::int64_t delivered = 0, lost = 0, span = 0;
  std::size_t slowest = 0;
  double slowest_rate = -1;
  for (std::size_t i = 0; i < run.done.size(); ++i) {
    const nlohmann::json& d = run.done[i];
    auto samples = d.at("samples").get<std::vector<std::int64_t>>();
    all.insert(all.end(), samples.begin(), samples.end());
    const harness::Distribution dist = harness::describe(samples);
    const auto got = d.at("received").get<std::int64_t>();
    const std::int64_t after =
        got > 0 ? d.at("last_ns").get<std::int64_t>() - m.timed_start_ns : 0;
    const double rate = harness::per_second(got, after);
    if (slowest_rate < 0 || rate < slowest_rate) {
      slowest_rate = rate;
      slowest = i;
    }
    delivered += got;
    lost += d.at("lost").get<std::int64_t>();
    span = std::max(span, after);
    ordered_json entry = {
        {"consumer", i},        {"received", got},
        {"lost", d.at("lost")}, {"finished_after_ns", after},
        {"msgs_per_s", rate},   {"latency_samples", dist.summary.count}};
    if (auto p = dist.find(50)) entry["latency_p50_ns"] = *p;
    if (auto p = dist.find(99)) entry["latency_p99_ns"] = *p;
    per.push_back(entry);
  }
  const double sent_rate = harness::per_second(job.iterations, m.elapsed_ns);
  const double delivered_rate = harness::per_second(delivered, span);
  const double loss = static_cast<double>(lost) /
                      static_cast<double>(job.iterations * job.consumers);
  harness::Distribution d = harness::describe(all);
  state.counters["consumers"] = job.consumers;
  state.counters["msgs_per_s"] = sent_rate;
  state.counters["delivered_msgs_per_s"] = delivered_rate;
  state.counters["bytes_per_second"] = delivered_rate * size;
  state.counters["slowest_msgs_per_s"] = slowest_rate;
  state.counters["loss_fraction"] = loss;
  set_latency_counters(state, "lat", d);
  rec["consumers"] = job.consumers;
  rec["throughput"] = {
      {"messages", job.iterations},
      {"bytes", job.iterations * static_cast<std::int64_t>(job.message_bytes)},
      {"elapsed_ns", m.elapsed_ns},
      {"msgs_per_s", sent_rate},
      {"bytes_per_second", sent_rate * size}};
  rec["fanout"] = {
      {"consumers", job.consumers},
      {"delivery", job.may_drop ? "may_drop" : "lossless"},
      {"delivered",
       {{"messages", delivered},
        {"span_ns", span},
        {"msgs_per_s", delivered_rate},
        {"bytes_per_second", delivered_rate * size},
        {"basis",
         "messages received by all consumers together, over the time from "
         "the producer's first timed send until the last consumer's last "
         "timed arrival"}}},
      {"loss", {{"messages", lost}, {"fraction", loss}}},
      {"slowest_consumer", slowest},
      {"per_consumer", per}};
  rec["latency"] = latency_json(d);
  rec["latency"]["kind"] = "send_to_receive";
  rec["latency"]["stride"] = job.stride;
  rec["latency"]["sampling"] =
      "every stride-th timed message carries its send time and every "
      "consumer times it on arrival (CLOCK_MONOTONIC); the distribution is "
      "all consumers' samples together, each consumer's p50/p99 are in "
      "fanout.per_consumer";
  g_fanout_stride.calibrate(rec["name"], m.elapsed_ns, job.iterations);
}

class Fanout final : public Scenario {
 public:
  std::string name() const override { return "fanout"; }
  std::string size_problem(std::size_t bytes, bool verify) const override {
    return stamped_size_problem(name(), bytes, verify);
  }
  std::string transport_problem(const transports::TransportInfo& t,
                                std::size_t) const override {
    if (t.caps.fanout != transports::Fanout::kNone) return "";
    return "fanout is not offered for " + t.name +
           ": it needs a transport that delivers every message to several "
           "subscribers (see ipcbench --list)";
  }
  std::vector<Variant> variants(const Options& opt) const override {
    std::vector<Variant> v;
    for (int c : opt.consumers) {
      Variant one{name_suffix(c, "_consumers"), 0, 0, {{"consumers", c}}};
      one.consumers = c;
      v.push_back(one);
    }
    return v;
  }
  void plan(Job& job, const std::string& case_name) const override {
    job.stride = std::max(g_fanout_stride.get(case_name),
                          (job.iterations + kMaxSamples - 1) / kMaxSamples);
  }
  bool peers_count_finish() const override { return true; }
  std::vector<std::string> warnings(
      const Options& opt, const harness::Topology& topo,
      const std::vector<int>& allowed) const override {
    return hub_warnings(opt, topo, allowed, opt.consumers.back(),
                        {"fanout", "consumer", "producer"});
  }
  std::vector<Job> peer_jobs(const Job& job) const override {
    std::vector<Job> jobs;
    for (int i = 0; i < job.consumers; ++i) {
      Job mine = job;
      mine.consumer = i;
      jobs.push_back(mine);
    }
    return jobs;
  }
  std::string peer_name(std::size_t i) const override {
    return "consumer " + std::to_string(i);
  }
  void drive(benchmark::State& state, Transport& t, const Job& job,
             Measurement& m, const Gate& release) const override {
    job.verify ? fanout_loop<true>(state, t, job, m, release)
               : fanout_loop<false>(state, t, job, m, release);
  }
  nlohmann::json serve(Transport& t, const Job& job, const Fault& f,
                       const Gate&) const override {
    return job.verify ? serve_fanout<true>(t, job, f)
                      : serve_fanout<false>(t, job, f);
  }
  void report_sides(const Job& job, const Outcome& run,
                    ordered_json& rec) const override;
  PeerCost peer_cost(const Outcome& run) const override;
  void report(benchmark::State& state, const Job& job, Outcome& run,
              ordered_json& rec) const override {
    report_fanout(state, job, run, rec);
  }
};

// Each consumer checks what it receives; the producer checks nothing. On a
// transport that may drop, sequence gaps are the loss the record counts,
// not an integrity failure.
void Fanout::report_sides(const Job& job, const Outcome& run,
                          ordered_json& rec) const {
  ordered_json cpus = ordered_json::array();
  for (const auto& d : run.done) cpus.push_back(d.value("cpu", -1));
  rec["cpus_observed"] = {{"driver", run.driver_cpu}, {"consumers", cpus}};
  if (!job.verify) return;
  ordered_json each = ordered_json::array();
  for (std::size_t i = 0; i < run.done.size(); ++i) {
    const Integrity in = Integrity::from_json(run.done[i].at("integrity"));
    each.push_back(ordered_json(in.to_json()));
    if (in.corrupt > 0 || in.duplicates > 0 || (in.gaps > 0 && !job.may_drop))
      throw std::runtime_error("integrity check failed at consumer " +
                               std::to_string(i) + ": " + in.describe());
  }
  rec["integrity"] = {{"consumers_received", each}};
}

// The "peer" side of the CPU cost is all consumers together, per message
// each received.
PeerCost Fanout::peer_cost(const Outcome& run) const {
  PeerCost all{{},
               0,
               std::string(kCpuSource) +
                   "; the producer is the driver, all consumers together "
                   "the peer"};
  for (const auto& d : run.done) {
    all.cost += CpuCost::from_json(d.at("cpu_cost"));
    all.messages += d.value("messages", std::int64_t{0});
  }
  all.messages = std::max<std::int64_t>(all.messages, 1);
  return all;
}

}  // namespace

const Scenario& fanout_scenario() {
  static const Fanout s;
  return s;
}

}  // namespace ipcb::bench
