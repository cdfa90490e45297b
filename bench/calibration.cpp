#include "bench/calibration.hpp"

#include <algorithm>
#include <cmath>

#include "bench/case_memo.hpp"
#include "bench/peer_run.hpp"
#include "bench/scenarios/registry.hpp"

namespace ipcb::bench {

namespace {

using nlohmann::ordered_json;

CaseMemoOf<StreamCapacity> g_capacity;

// One stream run of `n` messages, outside Google Benchmark (a counted
// loop), on the case's CPUs.
Outcome stream_run(const Case& stream, const RunSettings& settings,
                   std::int64_t n) {
  Job job;
  job.scenario = stream.scenario->name();
  job.message_bytes = stream.bytes;
  job.iterations = n;
  job.warmup = warmup_count(stream.bytes);
  const harness::PairAssignment a =
      harness::assign_pairs(stream.placement, harness::machine_topology(),
                            harness::initial_cpus(), 1);
  const RunCpus cpus{a.pairs.at(0).driver_cpu, {a.pairs.at(0).peer_cpu}};
  CountedLoop loop(n);
  Outcome out;
  run_once(loop, stream, job, settings, cpus, nullptr, 0, out);
  if (out.error.empty() &&
      out.done.at(0).at("word_sum").get<std::uint64_t>() != out.m.expected_sum)
    out.error = "the consumer's checksum does not match what was sent";
  return out;
}

StreamCapacity measure(const Case& cs, const RunSettings& settings) {
  Case stream = cs;
  stream.scenario = &stream_scenario();
  stream.name = cs.stream_name;
  stream.variant = {};
  StreamCapacity c;
  if (auto skip = skip_reason(stream, settings.options)) {
    c.error = "calibration: " + stream.name + " cannot run: " + *skip;
    return c;
  }
  // From about 1 MiB of messages, more until a run lasts long enough.
  std::int64_t n = std::clamp<std::int64_t>(
      static_cast<std::int64_t>((std::size_t{1} << 20) / cs.bytes), 16, 16384);
  for (int run = 1; run <= kCalibrationRuns; ++run) {
    const Outcome out = stream_run(stream, settings, n);
    if (!out.error.empty()) {
      c.error = "calibration: " + stream.name + " failed: " + out.error;
      return c;
    }
    c.messages = n;
    c.elapsed_ns = std::max<std::int64_t>(out.m.elapsed_ns, 1);
    if (c.elapsed_ns >= kCalibrationNs / 2 || run == kCalibrationRuns) break;
    const double grow = 1.2 * static_cast<double>(kCalibrationNs) /
                        static_cast<double>(c.elapsed_ns);
    n = static_cast<std::int64_t>(
        std::ceil(static_cast<double>(n) * std::min(grow, 100.0)));
  }
  c.msgs_per_s = static_cast<double>(c.messages) /
                 (static_cast<double>(c.elapsed_ns) * 1e-9);
  c.source = "calibration: a stream run (" + stream.name + ") of " +
             std::to_string(c.messages) + " messages in " +
             std::to_string(c.elapsed_ns) +
             " ns, before the first rate benchmark of this transport, wait, "
             "size, placement and capacity";
  return c;
}

}  // namespace

StreamCapacity stream_capacity(const Case& cs, const RunSettings& settings) {
  // Rate cases run one at a time (the scenario refuses --pairs): no other
  // thread measures the same case meanwhile.
  if (auto known = g_capacity.find(cs.stream_name)) return *known;
  StreamCapacity c;
  try {
    c = measure(cs, settings);
  } catch (const std::exception& e) {
    c.error = "calibration: " + cs.stream_name + " failed: " + e.what();
  }
  g_capacity.set(cs.stream_name, c);
  return c;
}

double offered_rate(double percent, double stream_msgs_per_s) {
  return stream_msgs_per_s * percent / 100;
}

ordered_json relative_json(double asked_percent, double offered_per_s,
                           const StreamCapacity& c) {
  ordered_json j = {{"asked", asked_percent > 0 ? "percent" : "absolute"}};
  if (!c.error.empty()) {
    j["percent"] = nullptr;
    j["stream_msgs_per_s"] = nullptr;
    j["stream_source"] = c.error;
    return j;
  }
  const double percent =
      asked_percent > 0 ? asked_percent : offered_per_s / c.msgs_per_s * 100;
  j["percent"] = percent;
  j["stream_msgs_per_s"] = c.msgs_per_s;
  j["stream_source"] = c.source;
  if (asked_percent <= 0) j["above_capacity"] = offered_per_s > c.msgs_per_s;
  return j;
}

}  // namespace ipcb::bench
