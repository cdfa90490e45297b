#include "bench/cpu_cost.hpp"

#include <sys/resource.h>

#include <algorithm>

#include "harness/clock.hpp"
#include "sys/process.hpp"
#include "transports/transport.hpp"

namespace ipcb::bench {

namespace {

thread_local CpuMeter* t_meter = nullptr;

CpuCost this_thread() {
  rusage ru{};
  ::getrusage(RUSAGE_THREAD, &ru);
  auto ns = [](const timeval& tv) {
    return tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL;
  };
  CpuCost c;
  c.user_ns = ns(ru.ru_utime);
  c.system_ns = ns(ru.ru_stime);
  c.voluntary_switches = ru.ru_nvcsw;
  c.involuntary_switches = ru.ru_nivcsw;
  c.run_delay_ns = sys::this_thread_run_delay_ns();
  c.wall_ns = harness::now_ns();
  return c;
}

}  // namespace

CpuCost CpuCost::operator-(const CpuCost& o) const {
  CpuCost d;
  d.user_ns = user_ns - o.user_ns;
  d.system_ns = system_ns - o.system_ns;
  d.transport_threads_ns = transport_threads_ns - o.transport_threads_ns;
  d.daemon_ns = daemon_ns - o.daemon_ns;
  d.voluntary_switches = voluntary_switches - o.voluntary_switches;
  d.involuntary_switches = involuntary_switches - o.involuntary_switches;
  d.pacing_ns = pacing_ns - o.pacing_ns;
  d.run_delay_ns = run_delay_ns < 0 || o.run_delay_ns < 0
                       ? -1
                       : run_delay_ns - o.run_delay_ns;
  d.wall_ns = wall_ns - o.wall_ns;
  return d;
}

CpuCost& CpuCost::operator+=(const CpuCost& o) {
  user_ns += o.user_ns;
  system_ns += o.system_ns;
  transport_threads_ns += o.transport_threads_ns;
  daemon_ns += o.daemon_ns;
  voluntary_switches += o.voluntary_switches;
  involuntary_switches += o.involuntary_switches;
  pacing_ns += o.pacing_ns;
  run_delay_ns = run_delay_ns < 0 || o.run_delay_ns < 0
                     ? -1
                     : run_delay_ns + o.run_delay_ns;
  wall_ns += o.wall_ns;
  for (const auto& [tid, ns] : o.thread_ns_by_tid) thread_ns_by_tid[tid] += ns;
  for (const auto& [pid, ns] : o.daemon_ns_by_pid) daemon_ns_by_pid[pid] += ns;
  return *this;
}

nlohmann::json CpuCost::to_json() const {
  return {{"user_ns", user_ns},
          {"system_ns", system_ns},
          {"transport_threads_ns", transport_threads_ns},
          {"daemon_ns", daemon_ns},
          {"voluntary_switches", voluntary_switches},
          {"involuntary_switches", involuntary_switches},
          {"pacing_ns", pacing_ns},
          {"run_delay_ns", run_delay_ns},
          {"wall_ns", wall_ns}};
}

CpuCost CpuCost::from_json(const nlohmann::json& j) {
  CpuCost c;
  c.user_ns = j.value("user_ns", std::int64_t{0});
  c.system_ns = j.value("system_ns", std::int64_t{0});
  c.transport_threads_ns = j.value("transport_threads_ns", std::int64_t{0});
  c.daemon_ns = j.value("daemon_ns", std::int64_t{0});
  c.voluntary_switches = j.value("voluntary_switches", std::int64_t{0});
  c.involuntary_switches = j.value("involuntary_switches", std::int64_t{0});
  c.pacing_ns = j.value("pacing_ns", std::int64_t{0});
  c.run_delay_ns = j.value("run_delay_ns", std::int64_t{-1});
  c.wall_ns = j.value("wall_ns", std::int64_t{0});
  return c;
}

CpuMeter::CpuMeter(const transports::Transport& t)
    : t_(t), begin_(take()), previous_(t_meter) {
  t_meter = this;
}

CpuMeter::~CpuMeter() { t_meter = previous_; }

CpuMeter::Snapshot CpuMeter::take() const {
  Snapshot s;
  for (int tid : t_.own_threads()) {
    if (auto u = sys::thread_usage(tid)) s.own.emplace_back(tid, *u);
  }
  for (int pid : t_.daemon_pids()) {
    if (auto ns = sys::process_cpu_ns(pid)) s.daemons.emplace_back(pid, *ns);
  }
  s.self = this_thread();  // last: the reads above are not the timed phase
  return s;
}

void CpuMeter::begin() {
  begin_ = take();
  ended_ = false;
  begun_ns_ = harness::now_ns();
}

void CpuMeter::end() {
  end_ = take();
  ended_ = true;
}

CpuCost CpuMeter::between(const Snapshot& a, const Snapshot& b) {
  CpuCost d = b.self - a.self;
  // A thread counts when it lived through both snapshots.
  for (const auto& [tid, later] : b.own) {
    for (const auto& [tid0, earlier] : a.own) {
      if (tid0 != tid) continue;
      d.transport_threads_ns += later.cpu_ns - earlier.cpu_ns;
      d.thread_ns_by_tid[tid] += later.cpu_ns - earlier.cpu_ns;
      d.voluntary_switches +=
          later.voluntary_switches - earlier.voluntary_switches;
      d.involuntary_switches +=
          later.involuntary_switches - earlier.involuntary_switches;
    }
  }
  for (const auto& [pid, later] : b.daemons) {
    for (const auto& [pid0, earlier] : a.daemons) {
      if (pid0 != pid) continue;
      d.daemon_ns += later - earlier;
      d.daemon_ns_by_pid[pid] += later - earlier;
    }
  }
  return d;
}

CpuCost counted_once(const std::vector<CpuCost>& sides, bool* shared) {
  CpuCost sum;
  std::map<int, std::vector<std::int64_t>> threads, daemons;
  for (const CpuCost& c : sides) {
    sum += c;
    for (const auto& [tid, ns] : c.thread_ns_by_tid) threads[tid].push_back(ns);
    for (const auto& [pid, ns] : c.daemon_ns_by_pid) daemons[pid].push_back(ns);
  }
  // What a shared one was counted beyond its largest measure.
  auto surplus = [](const std::vector<std::int64_t>& v) {
    std::int64_t total = 0;
    for (std::int64_t ns : v) total += ns;
    return total - *std::max_element(v.begin(), v.end());
  };
  bool any = false;
  for (auto& [tid, v] : threads) {
    if (v.size() < 2) continue;
    any = true;
    sum.transport_threads_ns -= surplus(v);
    sum.thread_ns_by_tid[tid] = *std::max_element(v.begin(), v.end());
  }
  for (auto& [pid, v] : daemons) {
    if (v.size() < 2) continue;
    any = true;
    sum.daemon_ns -= surplus(v);
    sum.daemon_ns_by_pid[pid] = *std::max_element(v.begin(), v.end());
  }
  if (shared != nullptr) *shared = any;
  return sum;
}

CpuCost CpuMeter::cost() {
  if (!ended_) end();
  return between(begin_, end_);
}

void timed_phase_begins() {
  if (t_meter) t_meter->begin();
}

void timed_phase_ends() {
  if (t_meter) t_meter->end();
}

}  // namespace ipcb::bench
