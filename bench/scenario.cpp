#include "bench/scenario.hpp"

#include <cstdio>
#include <stdexcept>

#include "bench/report.hpp"
#include "bench/scenarios/registry.hpp"
#include "harness/clock.hpp"
#include "harness/cpu.hpp"

namespace ipcb::bench {

using nlohmann::ordered_json;
using transports::Transport;

std::string name_suffix(long long count, const char* unit) {
  std::string s(1, '/');  // built piecewise: GCC 12 warns on "/" + string
  s += std::to_string(count);
  s += unit;
  return s;
}

std::string percent_suffix(double percent) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "/%gpct", percent);
  return buf;
}

std::string Scenario::size_problem(std::size_t, bool) const { return ""; }

std::string Scenario::transport_problem(const transports::TransportInfo& t,
                                        std::size_t) const {
  if (t.caps.request_reply && !alternates())
    return name() + " is not offered for " + t.name +
           ": a request/reply transport carries only a driver message "
           "answered by one peer message before the next (pingpong, oneway); " +
           name() + " sends several messages per reply";
  return "";
}

std::vector<Variant> Scenario::variants(const Options&) const { return {{}}; }

std::vector<std::string> Scenario::warnings(const Options&,
                                            const harness::Topology&,
                                            const std::vector<int>&) const {
  return {};
}

std::vector<std::string> hub_warnings(const Options& opt,
                                      const harness::Topology& topo,
                                      const std::vector<int>& allowed, int most,
                                      const HubWords& w) {
  const std::string spoke = w.spoke, hub = w.hub;
  for (const auto& place : opt.placements) {
    if (!place.unavailable.empty()) continue;
    const harness::FaninAssignment a =
        harness::assign_fanin(place, topo, allowed, most);
    if (!a.oversubscribed) continue;
    const std::string head = std::string(w.scenario) + " with up to " +
                             std::to_string(most) + " " + spoke + "s";
    const std::string tail = ": oversubscribed, so " + spoke +
                             "s take turns on their CPU and the figures "
                             "include scheduling contention";
    if (place.driver_cpu < 0)
      return {head + " runs " + std::to_string(most + 1) + " processes on " +
              std::to_string(allowed.size()) + " CPUs" + tail};
    const int k = a.distinct_producers;
    return {head + " under placement " + place.name() + ": the allowed CPUs (" +
            harness::cpu_list(allowed) + ") give " + std::to_string(k) + " " +
            spoke + "(s) a CPU of their own besides the " + hub + "'s (" +
            std::to_string(a.consumer_cpu) + "), so " + spoke + " " +
            std::to_string(k) + " shares CPU " +
            std::to_string(a.producer_cpus[static_cast<std::size_t>(k)]) +
            " with an earlier one" + tail};
  }
  return {};
}

void Scenario::plan(Job&, const std::string&) const {}

std::string Scenario::peer_name(std::size_t) const { return ""; }

void Scenario::drive(CountedLoop&, Transport&, const Job&, Measurement&,
                     const Gate&) const {
  throw std::logic_error(name() + " does not run with --pairs");
}

void Scenario::report_sides(const Job& job, const Outcome& run,
                            ordered_json& rec) const {
  rec["cpus_observed"] = cpus_observed(run);
  if (job.verify) check_integrity(run, rec["integrity"], "");
}

PeerCost Scenario::peer_cost(const Outcome& run) const {
  const nlohmann::json& done = run.done.at(0);
  return {CpuCost::from_json(done.at("cpu_cost")),
          done.value("messages", std::int64_t{1}), kCpuSource};
}

void Scenario::report_pair(const Job&, Outcome&, ordered_json&) const {
  throw std::logic_error(name() + " does not run with --pairs");
}

void Scenario::report_pairs(benchmark::State&, const Job&,
                            std::vector<Outcome>&, ordered_json&) const {
  throw std::logic_error(name() + " does not run with --pairs");
}

template <class Loop>
void drive(const Scenario& s, Loop& loop, Transport& t, const Job& job,
           Measurement& m, const Gate& release) {
  CpuMeter meter(t);
  m.start_ns = harness::now_ns();
  s.drive(loop, t, job, m, release);
  m.end_ns = m.timed_end_ns = harness::now_ns();
  m.driver_cpu = meter.cost();
  m.driver_cpu.pacing_ns = m.pacing_cpu_ns;
  if (meter.begun_ns() != 0) m.warmup_ns = meter.begun_ns() - m.start_ns;
}

template void drive(const Scenario&, benchmark::State&, Transport&, const Job&,
                    Measurement&, const Gate&);
template void drive(const Scenario&, CountedLoop&, Transport&, const Job&,
                    Measurement&, const Gate&);

nlohmann::json serve(Transport& t, const Job& job, const Fault& fault,
                     const Gate& warm_gate) {
  const Scenario& s = scenario_named(job.scenario);
  CpuMeter meter(t);
  nlohmann::json out = s.serve(t, job, fault, warm_gate);
  out["cpu_cost"] = meter.cost().to_json();
  // A scenario whose peer counts its own timed messages (fan-out
  // consumers that may miss some) says so itself.
  if (!out.contains("messages")) out["messages"] = job.timed_messages();
  return out;
}

}  // namespace ipcb::bench
