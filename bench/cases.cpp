#include "bench/cases.hpp"

#include <sched.h>

#include <algorithm>
#include <barrier>
#include <cmath>
#include <memory>
#include <thread>

#include "bench/report.hpp"
#include "bench/scenarios.hpp"
#include "bench/thread_peer.hpp"
#include "harness/cpu.hpp"
#include "harness/naming.hpp"
#include "harness/pair.hpp"
#include "harness/stats.hpp"
#include "transports/registry.hpp"

namespace ipcb::bench {

using nlohmann::ordered_json;

std::string case_name(const std::string& scenario, const std::string& transport,
                      const std::string& wait, bool show_wait,
                      std::size_t bytes) {
  return scenario + "/" + transport + (show_wait ? ":" + wait : "") + "/" +
         std::to_string(bytes);
}

namespace {

struct Case {
  std::string name;
  std::string scenario;
  const transports::TransportInfo* info;
  transports::Wait wait;
  std::size_t bytes;
  double rate_per_s;  // rate scenario only
  harness::Placement placement;
  int producers = 0;  // fanin scenario only
};

// Round trips per pingpong sample, calibrated from the previous invocation
// of the same case so that one sample lasts at least kMinSampleNs and the
// clock's own cost (~20 ns a read here) stays below a few percent.
constexpr std::int64_t kMinSampleNs = 1000;
std::mutex g_batch_mu;
std::map<std::string, std::int64_t> g_batch;

std::int64_t batch_for(const std::string& name) {
  std::lock_guard lock(g_batch_mu);
  auto it = g_batch.find(name);
  return it == g_batch.end() ? 1 : it->second;
}

void calibrate_batch(const std::string& name, std::int64_t rtt_p50_ns) {
  std::int64_t b = 1;
  if (rtt_p50_ns > 0 && rtt_p50_ns < kMinSampleNs)
    b = std::min<std::int64_t>(1000,
                               (kMinSampleNs + rtt_p50_ns - 1) / rtt_p50_ns);
  std::lock_guard lock(g_batch_mu);
  g_batch[name] = b;
}

void set_latency_counters(benchmark::State& state, const char* prefix,
                          const harness::Distribution& d) {
  auto c = [&](const char* what, double v) {
    state.counters[std::string(prefix) + what] = v;
  };
  c("_p50_ns", d.at(50));
  c("_p99_ns", d.at(99));
  c("_p999_ns", d.at(99.9));
}

void report_pingpong(benchmark::State& state, const Job& job, Measurement& m,
                     ordered_json& rec) {
  harness::Distribution d = harness::describe(m.rtt_ns);
  calibrate_batch(rec["name"], d.at(50));
  auto c = [&](const char* k, double v) { state.counters[k] = v; };
  c("rtt_p50_ns", d.at(50));
  c("rtt_p90_ns", d.at(90));
  c("rtt_p99_ns", d.at(99));
  c("rtt_p999_ns", d.at(99.9));
  c("rtt_min_ns", d.summary.min);
  c("rtt_max_ns", d.summary.max);
  c("one_way_est_ns", d.at(50) / 2.0);
  rec["latency"] = latency_json(d);
  rec["latency"]["kind"] = "round_trip";
  rec["latency"]["batch"] = job.batch;
}

ordered_json peer_distribution(const nlohmann::json& done, const char* key,
                               harness::Distribution& out) {
  const auto& j = done.at(key);
  for (const auto& [k, v] : j.at("percentiles_ns").items())
    out.percentiles.emplace_back(std::stod(k), v.get<std::int64_t>());
  out.summary.count = j.at("count");
  out.summary.min = j.at("min_ns");
  out.summary.max = j.at("max_ns");
  out.summary.mean = j.at("mean_ns");
  out.summary.stddev = j.at("stddev_ns");
  return ordered_json(j);
}

void report_oneway(benchmark::State& state, Measurement& m,
                   const nlohmann::json& done, ordered_json& rec) {
  harness::Distribution rtt = harness::describe(m.rtt_ns);
  harness::Distribution b2a = harness::describe(m.oneway_ns);
  harness::Distribution a2b;
  ordered_json a2b_json = peer_distribution(done, "oneway_a2b", a2b);
  set_latency_counters(state, "oneway_a2b", a2b);
  set_latency_counters(state, "oneway_b2a", b2a);
  state.counters["rtt_half_p50_ns"] = rtt.at(50) / 2.0;
  rec["latency"] = latency_json(rtt);
  rec["latency"]["kind"] = "round_trip";
  rec["oneway"] = {{"driver_to_peer", a2b_json},
                   {"peer_to_driver", latency_json(b2a)},
                   {"rtt_half_p50_ns", rtt.at(50) / 2.0}};
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

void report_rate(benchmark::State& state, const Job& job, const Measurement& m,
                 const nlohmann::json& done, ordered_json& rec) {
  harness::Distribution lat;
  ordered_json lat_json = peer_distribution(done, "latency_from_intended", lat);
  const double achieved = static_cast<double>(job.iterations) /
                          (static_cast<double>(m.elapsed_ns) * 1e-9);
  set_latency_counters(state, "lat", lat);
  state.counters["offered_per_s"] = job.rate_per_s;
  state.counters["achieved_per_s"] = achieved;
  state.counters["missed_slots"] = static_cast<double>(m.missed_slots);
  rec["latency"] = lat_json;
  rec["latency"]["kind"] = "from_intended_send";
  rec["rate"] = {{"offered_per_s", job.rate_per_s},
                 {"achieved_per_s", achieved},
                 {"messages", job.iterations},
                 {"missed_slots", m.missed_slots},
                 {"elapsed_ns", m.elapsed_ns}};
}

// CPU time and context switches per message of both sides (warm-up
// included on both sides, so the ratio is like for like).
void report_cpu(benchmark::State& state, const Measurement& m,
                const nlohmann::json& done, ordered_json& rec) {
  auto per_msg = [](const CpuCost& c, std::int64_t msgs) {
    const double n = static_cast<double>(std::max<std::int64_t>(msgs, 1));
    return ordered_json{
        {"user_ns_per_msg", c.user_ns / n},
        {"system_ns_per_msg", c.system_ns / n},
        {"voluntary_switches_per_msg", c.voluntary_switches / n},
        {"involuntary_switches_per_msg", c.involuntary_switches / n}};
  };
  const CpuCost peer = CpuCost::from_json(done.at("cpu_cost"));
  const std::int64_t peer_msgs = done.value("messages", std::int64_t{1});
  rec["cpu"] = {{"driver", per_msg(m.driver_cpu, m.driver_messages)},
                {"peer", per_msg(peer, peer_msgs)},
                {"source", "getrusage: driver's main thread, whole peer"}};
  state.counters["cpu_driver_ns_per_msg"] =
      static_cast<double>(m.driver_cpu.user_ns + m.driver_cpu.system_ns) /
      static_cast<double>(std::max<std::int64_t>(m.driver_messages, 1));
  state.counters["cpu_peer_ns_per_msg"] =
      static_cast<double>(peer.user_ns + peer.system_ns) /
      static_cast<double>(std::max<std::int64_t>(peer_msgs, 1));
}

// Records both sides' --verify counts in `out`; throws on any error, the
// message starting with `who` ("" or "pair 2: ").
void check_integrity(const Measurement& m, const nlohmann::json& done,
                     ordered_json& out, const std::string& who) {
  Integrity peer = Integrity::from_json(done.at("integrity"));
  out = {{"driver_received", m.integrity.to_json()},
         {"peer_received", peer.to_json()}};
  if (!peer.ok())
    throw std::runtime_error(
        who + "integrity check failed at the peer: " + peer.describe());
  if (!m.integrity.ok())
    throw std::runtime_error(who + "integrity check failed at the driver: " +
                             m.integrity.describe());
}

// One driver-peer pair of a case, from spawn to the peer's final report.
// run() never throws: a failure is kept in `error` (with its root cause).
struct PairRun {
  // Declared in this order so that the pair (which tears the transport
  // down) goes first and the private directory last.
  std::optional<harness::IpcNames> names;
  std::unique_ptr<transports::Transport> transport;
  std::optional<harness::Pair> pair;
  std::optional<ThreadPeer> thread_peer;  // instead of `pair`, in-process
  Measurement m;
  nlohmann::json done;
  ordered_json applied;
  int driver_cpu_seen = -1;
  std::string error;

  template <class Loop>
  void run(Loop& loop, const Case& cs, const Job& job,
           const RunSettings& settings, std::barrier<>* start_together) {
    const Options& opt = settings.options;
    bool arrived = false;
    try {
      harness::pin_current_thread(cs.placement.driver_cpu);
      names.emplace();
      transports::Config cfg{cs.bytes, cs.wait, names->dir(), names->prefix()};
      transport = transports::create_transport(cs.info->name, cfg);
      harness::PeerSpec spec{
          settings.executable,
          cs.info->name,
          cfg,
          job.to_json(),
          cs.placement.peer_cpu,
          std::chrono::milliseconds(
              static_cast<std::int64_t>(opt.timeout_s * 1000)),
          opt.fault};
      if (cs.info->caps.in_process) {
        // The peer is a thread of this process (in-process baselines).
        transport->prepare();
        thread_peer.emplace(cs.info->name, cfg, transport->handoff(), job,
                            cs.placement.peer_cpu, spec.timeout);
      } else {
        pair.emplace(spec, *transport);
      }
      transport->connect(transports::Role::kDriver);
      thread_peer ? thread_peer->start_gate() : pair->start_gate();
      if (start_together) start_together->arrive_and_wait(), arrived = true;
      drive(loop, *transport, job, m);
      applied = transport->applied_settings();
      done = thread_peer ? thread_peer->finish() : pair->finish();
      driver_cpu_seen = ::sched_getcpu();
    } catch (const std::exception& e) {
      error = pair ? pair->explain_failure(e) : e.what();
      if (start_together && !arrived) start_together->arrive_and_drop();
    }
    thread_peer.reset();
    if (transport && !pair) transport->teardown();
    pair.reset();
    transport.reset();
    names.reset();
  }
};

// The producer peers of a fan-in case and the one transport they share.
// run() never throws: a failure is kept in `error` (with its root cause).
struct FanInRun {
  // Declared in this order so that the producers (whose Pairs tear the
  // transport down) go first and the private directory last.
  std::optional<harness::IpcNames> names;
  std::unique_ptr<transports::Transport> transport;
  std::vector<std::unique_ptr<harness::Pair>> producers;
  Measurement m;
  std::vector<nlohmann::json> done;
  ordered_json applied;
  int driver_cpu_seen = -1;
  std::string error;

  void run(benchmark::State& state, const Case& cs, const Job& job,
           const RunSettings& settings) {
    const Options& opt = settings.options;
    try {
      harness::pin_current_thread(cs.placement.driver_cpu);
      names.emplace();
      transports::Config cfg{cs.bytes, cs.wait, names->dir(), names->prefix(),
                             cs.producers};
      transport = transports::create_transport(cs.info->name, cfg);
      for (int i = 0; i < cs.producers; ++i) {
        Job mine = job;
        mine.producer = i;
        mine.iterations = job.iterations / cs.producers +
                          (i < job.iterations % cs.producers ? 1 : 0);
        harness::PeerSpec spec{
            settings.executable,
            cs.info->name,
            cfg,
            mine.to_json(),
            cs.placement.peer_cpu,
            std::chrono::milliseconds(
                static_cast<std::int64_t>(opt.timeout_s * 1000)),
            opt.fault,
            /*transport_prepared=*/i > 0};
        producers.push_back(std::make_unique<harness::Pair>(spec, *transport));
      }
      // Only now: connecting may close the ends the producers inherited.
      transport->connect(transports::Role::kDriver);
      for (auto& p : producers) p->start_gate();
      drive_fanin(state, *transport, job, m, [&] {
        for (auto& p : producers) p->warm_gate();
      });
      applied = transport->applied_settings();
      for (auto& p : producers) done.push_back(p->finish());
      driver_cpu_seen = ::sched_getcpu();
    } catch (const std::exception& e) {
      error = explain(e);
    }
    producers.clear();  // kills what is still alive, tears the transport down
    transport.reset();
    names.reset();
  }

  // The first producer with a cause of its own (its error, exit status,
  // signal or timeout), else the driver's error.
  std::string explain(const std::exception& e) {
    std::string first;
    for (std::size_t i = 0; i < producers.size(); ++i) {
      std::string why = producers[i]->explain_failure(e);
      if (why.rfind("driver failed", 0) != 0)
        return "producer " + std::to_string(i) + ": " + why;
      if (first.empty()) first = why;
    }
    return first.empty() ? std::string(e.what()) : first;
  }
};

// Fan-in figures: aggregate throughput, per-producer completion and
// shares, send-to-receive latency. Throws if the bytes received are not
// the bytes the producers sent.
void report_fanin(benchmark::State& state, const Job& job, Measurement& m,
                  const std::vector<nlohmann::json>& done, ordered_json& rec) {
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
  const double secs = static_cast<double>(m.elapsed_ns) * 1e-9;
  const double msgs = static_cast<double>(job.iterations);
  const double bytes = msgs * static_cast<double>(job.message_bytes);
  // Shares while all were competing; rates over each one's own time.
  const std::vector<double> shares =
      harness::shares_of({m.shares_at_first_done.data(), producers});
  std::vector<double> rates;
  ordered_json per = ordered_json::array();
  for (std::size_t p = 0; p < producers; ++p) {
    rates.push_back(
        harness::per_second(m.per_producer[p], m.producer_done_ns[p]));
    per.push_back({{"producer", p},
                   {"messages", m.per_producer[p]},
                   {"finished_after_ns", m.producer_done_ns[p]},
                   {"msgs_per_s", rates[p]},
                   {"share", shares[p]}});
  }
  const harness::ShareRange range = harness::share_range(shares);
  const double jain = harness::jain_index(rates);
  harness::Distribution d = harness::describe(m.oneway_ns);
  state.counters["producers"] = static_cast<double>(producers);
  state.counters["msgs_per_s"] = msgs / secs;
  state.counters["bytes_per_second"] = bytes / secs;
  state.counters["jain_index"] = jain;
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
      {"per_producer", per},
      {"fairness",
       {{"min_share", range.min},
        {"max_share", range.max},
        {"jain_index", jain},
        {"share_basis",
         "messages each producer had delivered when the first one finished"},
        {"jain_basis", "each producer's messages / its finishing time"}}}};
  rec["latency"] = latency_json(d);
  rec["latency"]["kind"] = "send_to_receive";
}

std::optional<std::string> skip_reason(const Case& cs, const Options& opt) {
  if (auto why = cs.info->unavailable_reason ? cs.info->unavailable_reason()
                                             : std::nullopt)
    return "unavailable here: " + *why;
  if (cs.info->caps.max_message_bytes != 0 &&
      cs.bytes > cs.info->caps.max_message_bytes) {
    return std::to_string(cs.bytes) + " B is beyond " + cs.info->name +
           "'s limit of " + std::to_string(cs.info->caps.max_message_bytes) +
           " B (" + cs.info->caps.limits + ")";
  }
  if (auto why = size_problem(cs.scenario, cs.bytes, opt.verify); !why.empty())
    return why;
  if (opt.pairs > 1 && cs.scenario != "pingpong" && cs.scenario != "stream")
    return "--pairs applies to the pingpong and stream scenarios";
  if (cs.scenario == "fanin") {
    const std::size_t max = cs.info->caps.fanin_max_bytes;
    if (max == 0)
      return "fanin is not offered for " + cs.info->name +
             ": it needs one receiver that several processes can send to "
             "without loss or interleaving (message queues, pipes and FIFOs "
             "up to PIPE_BUF, Unix datagram/seqpacket sockets, ZeroMQ)";
    if (cs.bytes > max)
      return std::to_string(cs.bytes) + " B is beyond the " +
             std::to_string(max) + " B that " + cs.info->name +
             " delivers whole from concurrent senders (" +
             cs.info->caps.limits + "); larger messages would interleave";
  }
  return std::nullopt;
}

// Per-pair figures and the aggregate over --pairs concurrent pairs.
void report_pairs(benchmark::State& state, const Job& job,
                  std::vector<PairRun>& runs, ordered_json& rec) {
  ordered_json per_pair = ordered_json::array();
  double total_rate = 0, total_bytes_rate = 0;
  std::vector<std::int64_t> all_rtt;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    Measurement& m = runs[i].m;
    ordered_json p = {{"pair", i},
                      {"cpus_observed",
                       {{"driver", runs[i].driver_cpu_seen},
                        {"peer", runs[i].done.value("cpu", -1)}}}};
    if (job.scenario == "pingpong") {
      std::int64_t busy = 0;
      for (auto x : m.rtt_ns) busy += x * job.batch;
      const double rate = static_cast<double>(job.timed_messages()) /
                          (static_cast<double>(busy) * 1e-9);
      all_rtt.insert(all_rtt.end(), m.rtt_ns.begin(), m.rtt_ns.end());
      harness::Distribution d = harness::describe(m.rtt_ns);
      p["round_trips_per_s"] = rate;
      p["rtt_p50_ns"] = d.at(50);
      p["rtt_p99_ns"] = d.at(99);
      total_rate += rate;
    } else {
      const double secs = static_cast<double>(m.elapsed_ns) * 1e-9;
      const double rate = static_cast<double>(job.iterations) / secs;
      p["msgs_per_s"] = rate;
      p["bytes_per_second"] = rate * static_cast<double>(job.message_bytes);
      total_rate += rate;
      total_bytes_rate += rate * static_cast<double>(job.message_bytes);
    }
    per_pair.push_back(p);
  }
  rec["pairs"] = per_pair;
  state.counters["pairs"] = static_cast<double>(runs.size());
  if (job.scenario == "pingpong") {
    Measurement merged;
    merged.rtt_ns = std::move(all_rtt);
    report_pingpong(state, job, merged, rec);
    state.counters["round_trips_per_s_total"] = total_rate;
    rec["aggregate"] = {{"round_trips_per_s", total_rate},
                        {"method", "sum of per-pair rates"}};
  } else {
    state.counters["msgs_per_s"] = total_rate;
    state.counters["bytes_per_second"] = total_bytes_rate;
    rec["aggregate"] = {{"msgs_per_s", total_rate},
                        {"bytes_per_second", total_bytes_rate},
                        {"method",
                         "sum of per-pair rates; pairs start "
                         "together at a barrier"}};
  }
}

// A fan-in case from spawn to record: the driver consumes, cs.producers
// peers produce.
void run_fanin(benchmark::State& state, const Case& cs, Job job,
               const RunSettings& settings, RecordStore& store,
               ordered_json& rec) {
  job.producers = cs.producers;
  FanInRun run;
  run.run(state, cs, job, settings);
  try {
    if (!run.error.empty()) throw std::runtime_error(run.error);
    rec["applied"] = run.applied;
    ordered_json peer_cpus = ordered_json::array();
    CpuCost producers_cpu;
    std::int64_t producers_msgs = 0;
    for (const auto& d : run.done) {
      peer_cpus.push_back(d.value("cpu", -1));
      const CpuCost c = CpuCost::from_json(d.at("cpu_cost"));
      producers_cpu.user_ns += c.user_ns;
      producers_cpu.system_ns += c.system_ns;
      producers_cpu.voluntary_switches += c.voluntary_switches;
      producers_cpu.involuntary_switches += c.involuntary_switches;
      producers_msgs += d.value("messages", std::int64_t{0});
    }
    rec["cpus_observed"] = {{"driver", run.driver_cpu_seen},
                            {"producers", peer_cpus}};
    if (job.verify) {
      rec["integrity"] = {{"driver_received", run.m.integrity.to_json()}};
      if (!run.m.integrity.ok())
        throw std::runtime_error("integrity check failed at the consumer: " +
                                 run.m.integrity.describe());
    }
    report_fanin(state, job, run.m, run.done, rec);
    // The "peer" side of the CPU cost is all producers together.
    report_cpu(
        state, run.m,
        {{"cpu_cost", producers_cpu.to_json()}, {"messages", producers_msgs}},
        rec);
    rec["cpu"]["source"] =
        "getrusage: driver's main thread (the consumer), all producer "
        "processes together (peer)";
    state.SetLabel(cs.placement.describe());
    state.counters[kRecordCounter] = static_cast<double>(store.add(rec));
  } catch (const std::exception& e) {
    rec["error"] = e.what();
    state.counters[kRecordCounter] = static_cast<double>(store.add(rec));
    state.SkipWithError(e.what());
  }
}

void run_case_body(benchmark::State& state, const Case& cs,
                   const RunSettings& settings, RecordStore& store) {
  const Options& opt = settings.options;
  const harness::Placement& place = cs.placement;
  ordered_json rec = {{"name", cs.name},
                      {"scenario", cs.scenario},
                      {"transport", cs.info->name},
                      {"wait", transports::to_string(cs.wait)},
                      {"message_bytes", cs.bytes},
                      {"placement",
                       {{"preset", place.preset},
                        {"driver_cpu", place.driver_cpu},
                        {"peer_cpu", place.peer_cpu}}},
                      {"pairs", opt.pairs},
                      {"verify", opt.verify}};
  if (auto skip = skip_reason(cs, opt)) {
    rec["skipped"] = *skip;
    state.counters[kRecordCounter] = static_cast<double>(store.add(rec));
    state.SkipWithError(("skipped: " + *skip).c_str());
    return;
  }
  Job job;
  job.scenario = cs.scenario;
  job.message_bytes = cs.bytes;
  job.iterations = state.max_iterations;
  job.warmup = warmup_count(cs.bytes);
  job.batch = cs.scenario == "pingpong" ? batch_for(cs.name) : 1;
  job.verify = opt.verify;
  job.rate_per_s = cs.rate_per_s;
  rec["iterations"] = job.iterations;
  rec["warmup_messages"] = job.warmup;
  if (cs.scenario == "fanin") {
    run_fanin(state, cs, job, settings, store, rec);
    return;
  }

  std::vector<PairRun> runs(static_cast<std::size_t>(opt.pairs));
  std::optional<std::barrier<>> together;
  if (opt.pairs > 1) together.emplace(opt.pairs);
  std::barrier<>* gate = together ? &*together : nullptr;
  std::vector<std::thread> extra;
  std::vector<CountedLoop> loops(runs.size(), CountedLoop(job.iterations));
  for (std::size_t i = 1; i < runs.size(); ++i) {
    extra.emplace_back(
        [&, i] { runs[i].run(loops[i], cs, job, settings, gate); });
  }
  runs[0].run(state, cs, job, settings, gate);
  for (auto& t : extra) t.join();

  std::string why;
  for (std::size_t i = 0; i < runs.size() && why.empty(); ++i) {
    if (!runs[i].error.empty())
      why = (runs.size() > 1 ? "pair " + std::to_string(i) + ": " : "") +
            runs[i].error;
  }
  try {
    if (!why.empty()) throw std::runtime_error(why);
    PairRun& r = runs[0];
    rec["applied"] = r.applied;
    rec["cpus_observed"] = {{"driver", r.driver_cpu_seen},
                            {"peer", r.done.value("cpu", -1)}};
    // --verify counts: one object, or one per pair with --pairs.
    for (std::size_t i = 0; job.verify && i < runs.size(); ++i) {
      if (runs.size() == 1)
        check_integrity(r.m, r.done, rec["integrity"], "");
      else
        check_integrity(runs[i].m, runs[i].done, rec["integrity"][i],
                        "pair " + std::to_string(i) + ": ");
    }
    if (runs.size() > 1) {
      report_pairs(state, job, runs, rec);
    } else {
      if (cs.scenario == "pingpong") report_pingpong(state, job, r.m, rec);
      if (cs.scenario == "oneway") report_oneway(state, r.m, r.done, rec);
      if (cs.scenario == "stream") report_stream(state, job, r.m, r.done, rec);
      if (cs.scenario == "rate") report_rate(state, job, r.m, r.done, rec);
    }
    report_cpu(state, r.m, r.done, rec);
    state.SetLabel(place.describe());
    state.counters[kRecordCounter] = static_cast<double>(store.add(rec));
  } catch (const std::exception& e) {
    rec["error"] = e.what();
    state.counters[kRecordCounter] = static_cast<double>(store.add(rec));
    state.SkipWithError(e.what());
  }
}

void run_case(benchmark::State& state, const Case& cs,
              const RunSettings& settings, RecordStore& store) {
  if (int sig = transports::stop_signal()) settings.on_interrupt(sig);
  if (settings.on_case_start) settings.on_case_start(cs.name);
  transports::reset_cancel();
  run_case_body(state, cs, settings, store);  // cleans up everything it made
  transports::reset_cancel();
  if (int sig = transports::stop_signal()) settings.on_interrupt(sig);
}

// The sweeps a scenario adds to each (transport, wait, size): offered rates
// for rate, producer counts for fanin; each with its name suffix.
struct Variant {
  double rate_per_s = 0;
  int producers = 0;
  std::string suffix;
};

std::vector<Variant> variants_of(const std::string& scenario,
                                 const Options& opt) {
  auto suffix = [](long long count, const char* unit) {
    std::string s(1, '/');
    s += std::to_string(count);
    s += unit;
    return s;
  };
  std::vector<Variant> v;
  if (scenario == "rate") {
    for (double r : opt.rates)
      v.push_back({r, 0, suffix(std::llround(r), "_per_s")});
  } else if (scenario == "fanin") {
    for (int p : opt.producers) v.push_back({0, p, suffix(p, "_producers")});
  } else {
    v.push_back({});
  }
  return v;
}

}  // namespace

int register_cases(const RunSettings& settings, RecordStore& store) {
  const Options& opt = settings.options;
  const bool sweep = opt.placements.size() > 1;
  std::string pairs;
  if (opt.pairs > 1) {
    pairs = '/';
    pairs += std::to_string(opt.pairs);
    pairs += "_pairs";
  }
  int n = 0;
  for (const auto& scenario : opt.scenarios) {
    const std::vector<Variant> variants = variants_of(scenario, opt);
    for (const auto& tname : opt.transports) {
      const auto* info = transports::find_transport(tname);
      const bool show_wait = info->caps.waits.size() > 1;
      for (auto wait : info->caps.waits) {
        std::string w = transports::to_string(wait);
        if (std::find(opt.waits.begin(), opt.waits.end(), w) == opt.waits.end())
          continue;
        for (std::size_t bytes : opt.sizes) {
          for (const Variant& var : variants) {
            for (const auto& place : opt.placements) {
              std::string name =
                  case_name(scenario, tname, w, show_wait, bytes);
              name += var.suffix;
              if (sweep) name += '/', name += place.name();
              name += pairs;
              Case cs{name,  scenario,       info,  wait,
                      bytes, var.rate_per_s, place, var.producers};
              benchmark::RegisterBenchmark(
                  cs.name.c_str(),
                  [cs, &settings, &store](benchmark::State& st) {
                    run_case(st, cs, settings, store);
                  })
                  ->UseManualTime();
              ++n;
            }
          }
        }
      }
    }
  }
  return n;
}

}  // namespace ipcb::bench
