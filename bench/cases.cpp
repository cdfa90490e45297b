#include "bench/cases.hpp"

#include <sched.h>

#include <algorithm>
#include <memory>

#include "bench/scenarios.hpp"
#include "harness/cpu.hpp"
#include "harness/naming.hpp"
#include "harness/pair.hpp"
#include "harness/stats.hpp"
#include "transports/registry.hpp"

namespace ipcb::bench {

using nlohmann::ordered_json;

std::int64_t RecordStore::add(ordered_json record) {
  std::lock_guard lock(mu_);
  records_[next_] = std::move(record);
  return next_++;
}

std::optional<ordered_json> RecordStore::take(std::int64_t id) {
  std::lock_guard lock(mu_);
  auto it = records_.find(id);
  if (it == records_.end()) return std::nullopt;
  ordered_json r = std::move(it->second);
  records_.erase(it);
  const std::string name = r.value("name", "");
  std::erase_if(records_, [&](const auto& kv) {
    return kv.first <= id && kv.second.value("name", "") == name;
  });
  return r;
}

std::optional<ordered_json> RecordStore::take_latest(const std::string& name) {
  std::int64_t latest = -1;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, rec] : records_) {
      if (rec.value("name", "") == name) latest = id;
    }
  }
  if (latest < 0) return std::nullopt;
  return take(latest);
}

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
};

ordered_json percentile_json(const harness::Distribution& d) {
  ordered_json p = ordered_json::object();
  for (const auto& [q, v] : d.percentiles) {
    char key[16];
    std::snprintf(key, sizeof key, "%g", q);
    p[key] = v;
  }
  return p;
}

void report_pingpong(benchmark::State& state, Measurement& m,
                     ordered_json& rec) {
  harness::Distribution d = harness::describe(m.rtt_ns);
  auto c = [&](const char* k, double v) { state.counters[k] = v; };
  c("rtt_p50_ns", d.at(50));
  c("rtt_p90_ns", d.at(90));
  c("rtt_p99_ns", d.at(99));
  c("rtt_p999_ns", d.at(99.9));
  c("rtt_min_ns", d.summary.min);
  c("rtt_max_ns", d.summary.max);
  c("one_way_est_ns", d.at(50) / 2.0);
  rec["latency"] = {
      {"kind", "round_trip"},          {"unit", "ns"},
      {"count", d.summary.count},      {"mean_ns", d.summary.mean},
      {"stddev_ns", d.summary.stddev}, {"min_ns", d.summary.min},
      {"max_ns", d.summary.max},       {"percentiles_ns", percentile_json(d)}};
}

void report_stream(benchmark::State& state, const Job& job,
                   const Measurement& m, const nlohmann::json& done,
                   ordered_json& rec) {
  if (done.at("word_sum").get<std::uint64_t>() != m.expected_sum) {
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

void run_case_body(benchmark::State& state, const Case& cs,
                   const RunSettings& settings, RecordStore& store) {
  const Options& opt = settings.options;
  ordered_json rec = {{"name", cs.name},
                      {"scenario", cs.scenario},
                      {"transport", cs.info->name},
                      {"wait", transports::to_string(cs.wait)},
                      {"message_bytes", cs.bytes},
                      {"placement",
                       {{"preset", opt.placement.preset},
                        {"driver_cpu", opt.placement.driver_cpu},
                        {"peer_cpu", opt.placement.peer_cpu}}}};
  std::optional<std::string> skip = cs.info->unavailable_reason
                                        ? cs.info->unavailable_reason()
                                        : std::nullopt;
  if (skip) {
    *skip = "unavailable here: " + *skip;
  } else if (cs.info->caps.max_message_bytes != 0 &&
             cs.bytes > cs.info->caps.max_message_bytes) {
    skip = std::to_string(cs.bytes) + " B is beyond " + cs.info->name +
           "'s limit of " + std::to_string(cs.info->caps.max_message_bytes) +
           " B (" + cs.info->caps.limits + ")";
  }
  if (skip) {
    rec["skipped"] = *skip;
    state.counters[kRecordCounter] = static_cast<double>(store.add(rec));
    state.SkipWithError(("skipped: " + *skip).c_str());
    return;
  }
  Job job{
      cs.scenario, cs.bytes, state.max_iterations, warmup_count(cs.bytes), {}};
  rec["iterations"] = job.iterations;
  rec["warmup_messages"] = job.warmup;
  // Declared in this order so that the pair (which tears the transport
  // down) goes first and the private directory last.
  std::optional<harness::IpcNames> names;
  std::unique_ptr<transports::Transport> transport;
  std::optional<harness::Pair> pair;
  try {
    harness::pin_current_thread(opt.placement.driver_cpu);
    names.emplace();
    transports::Config cfg{cs.bytes, cs.wait, names->dir(), names->prefix()};
    transport = transports::create_transport(cs.info->name, cfg);
    harness::PeerSpec spec{settings.executable,
                           cs.info->name,
                           cfg,
                           job.to_json(),
                           opt.placement.peer_cpu,
                           std::chrono::milliseconds(
                               static_cast<std::int64_t>(opt.timeout_s * 1000)),
                           opt.fault};
    pair.emplace(spec, *transport);
    transport->connect(transports::Role::kDriver);
    pair->start_gate();
    Measurement m;
    if (cs.scenario == "pingpong")
      drive_pingpong(state, *transport, job, m);
    else
      drive_stream(state, *transport, job, m);
    rec["applied"] = transport->applied_settings();
    nlohmann::json done = pair->finish();
    rec["cpus_observed"] = {{"driver", ::sched_getcpu()},
                            {"peer", done.value("cpu", -1)}};
    if (cs.scenario == "pingpong")
      report_pingpong(state, m, rec);
    else
      report_stream(state, job, m, done, rec);
    state.SetLabel(opt.placement.describe());
    state.counters[kRecordCounter] = static_cast<double>(store.add(rec));
    pair.reset();
  } catch (const std::exception& e) {
    std::string why = pair ? pair->explain_failure(e) : e.what();
    pair.reset();
    rec["error"] = why;
    state.counters[kRecordCounter] = static_cast<double>(store.add(rec));
    state.SkipWithError(why.c_str());
  }
}

void run_case(benchmark::State& state, const Case& cs,
              const RunSettings& settings, RecordStore& store) {
  if (int sig = transports::stop_signal()) settings.on_interrupt(sig);
  run_case_body(state, cs, settings, store);  // cleans up everything it made
  if (int sig = transports::stop_signal()) settings.on_interrupt(sig);
}

}  // namespace

int register_cases(const RunSettings& settings, RecordStore& store) {
  const Options& opt = settings.options;
  int n = 0;
  for (const auto& scenario : opt.scenarios) {
    for (const auto& tname : opt.transports) {
      const auto* info = transports::find_transport(tname);
      const bool show_wait = info->caps.waits.size() > 1;
      for (auto wait : info->caps.waits) {
        std::string w = transports::to_string(wait);
        if (std::find(opt.waits.begin(), opt.waits.end(), w) == opt.waits.end())
          continue;
        for (std::size_t bytes : opt.sizes) {
          Case cs{case_name(scenario, tname, w, show_wait, bytes), scenario,
                  info, wait, bytes};
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
  return n;
}

}  // namespace ipcb::bench
