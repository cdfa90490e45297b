// stream: the driver sends back to back; the peer receives and touches
// every byte (a 64-bit word sum it reports, which the driver checks); the
// clock stops when the peer's confirmation arrives. Runs with --pairs:
// per-pair figures, and all pairs' messages over the span of their timed
// phases.
#include <stdexcept>
#include <string>

#include "bench/report.hpp"
#include "bench/scenarios/registry.hpp"
#include "bench/scenarios/streaming.hpp"

namespace ipcb::bench {

namespace {

using harness::now_ns;
using nlohmann::ordered_json;
using transports::Transport;

template <bool kVerify, class Loop>
void stream_loop(Loop& state, Transport& t, const Job& job, Measurement& m) {
  const std::size_t n = job.message_bytes;
  streaming::Sender<kVerify> sender(t, job, 2);
  std::byte ack[1];
  m.expected_sum = word_sum(sender.out.data(), n) *
                   static_cast<std::uint64_t>(job.iterations);
  std::int64_t sent = 0, t0 = 0;
  timed_phase_begins();
  for (auto _ : state) {
    if (sent == 0) t0 = now_ns();
    sender.stamp();
    t.send(sender.out.data(), n);
    if (++sent == job.iterations) {
      t.recv(ack, 1);  // the consumer has received and touched everything
      m.elapsed_ns = now_ns() - t0;
      state.SetIterationTime(static_cast<double>(m.elapsed_ns) * 1e-9);
    }
  }
  timed_phase_ends();
  m.driver_messages = job.iterations;
}

void report_stream(benchmark::State& state, const Job& job,
                   const Measurement& m, const nlohmann::json& done,
                   ordered_json& rec) {
  if (!job.verify &&
      done.at("word_sum").get<std::uint64_t>() != m.expected_sum) {
    throw std::runtime_error(
        "stream: the consumer's checksum does not match what was sent "
        "(bytes were lost, duplicated or corrupted)");
  }
  const double secs = static_cast<double>(m.elapsed_ns) * 1e-9;
  const double msgs = static_cast<double>(job.iterations);
  state.counters["msgs_per_s"] = msgs / secs;
  state.counters["bytes_per_second"] = msgs * job.message_bytes / secs;
  rec["throughput"] = {{"messages", job.iterations},
                       {"bytes", job.iterations * job.message_bytes},
                       {"elapsed_ns", m.elapsed_ns},
                       {"msgs_per_s", msgs / secs},
                       {"bytes_per_second", msgs * job.message_bytes / secs}};
}

// One pair's messages per second over its timed part.
double msgs_per_s(const Job& job, const Measurement& m) {
  const double secs = static_cast<double>(m.elapsed_ns) * 1e-9;
  return static_cast<double>(job.iterations) / secs;
}

class Stream final : public PairedScenario<Stream> {
 public:
  std::string name() const override { return "stream"; }
  nlohmann::json serve(Transport& t, const Job& job, const Fault& f,
                       const Gate&) const override {
    return streaming::serve_stream(t, job, f, false);
  }
  void report(benchmark::State& state, const Job& job, Outcome& run,
              ordered_json& rec) const override {
    report_stream(state, job, run.m, run.done.at(0), rec);
  }
  void report_pair(const Job& job, Outcome& run,
                   ordered_json& entry) const override {
    const double rate = msgs_per_s(job, run.m);
    entry["msgs_per_s"] = rate;
    entry["bytes_per_second"] = rate * static_cast<double>(job.message_bytes);
  }
  // All pairs' messages (bytes) over the span of their timed phases.
  void report_pairs(benchmark::State& state, const Job& job,
                    std::vector<Outcome>& runs,
                    ordered_json& rec) const override {
    const auto msgs = job.iterations * static_cast<std::int64_t>(runs.size());
    report_aggregate(state, runs, msgs,
                     msgs * static_cast<std::int64_t>(job.message_bytes),
                     "msgs_per_s", false, rec);
  }

  // The timed loop, for PairedScenario.
  template <class Loop>
  static void loop(Loop& state, Transport& t, const Job& job, Measurement& m) {
    job.verify ? stream_loop<true>(state, t, job, m)
               : stream_loop<false>(state, t, job, m);
  }
};

}  // namespace

const Scenario& stream_scenario() {
  static const Stream s;
  return s;
}

}  // namespace ipcb::bench
