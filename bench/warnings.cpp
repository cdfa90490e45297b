#include "bench/warnings.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>

#include "bench/scenarios/registry.hpp"
#include "transports/registry.hpp"

namespace ipcb::bench {

namespace {

bool spin_selected(const Options& opt) {
  if (std::find(opt.waits.begin(), opt.waits.end(), "spin") == opt.waits.end())
    return false;
  for (const auto& name : opt.transports) {
    for (auto w : transports::find_transport(name)->caps.waits) {
      if (w == transports::Wait::kSpin) return true;
    }
  }
  return false;
}

std::optional<std::string> spin_on_one_cpu(const Options& opt) {
  if (!spin_selected(opt)) return std::nullopt;
  for (const auto& p : opt.placements) {
    if (p.driver_cpu >= 0 && p.driver_cpu == p.peer_cpu) {
      return "spin waits with both sides on one CPU (" + p.name() +
             "): a spinner gives the CPU up only when preempted, so these "
             "figures measure scheduler time slices, not the transport; use "
             "--wait=block for same-CPU runs";
    }
  }
  return std::nullopt;
}

std::optional<std::string> pairs_oversubscribe(const Options& opt,
                                               const RunFacts& facts) {
  if (opt.pairs < 2) return std::nullopt;
  for (const auto& place : opt.placements) {
    if (!place.unavailable.empty()) continue;
    const harness::PairAssignment a =
        harness::assign_pairs(place, facts.topology, facts.allowed, opt.pairs);
    if (!a.oversubscribed) continue;
    const std::string n = std::to_string(opt.pairs);
    if (place.driver_cpu < 0) {
      return "--pairs=" + n + " runs " + std::to_string(2 * opt.pairs) +
             " processes on " + std::to_string(facts.allowed.size()) +
             " CPUs: oversubscribed, so aggregate figures include "
             "scheduling contention";
    }
    const harness::PairCpus& again =
        a.pairs[static_cast<std::size_t>(a.distinct_pairs)];
    return "--pairs=" + n + " under placement " + place.name() +
           ": the allowed CPUs (" + harness::cpu_list(facts.allowed) +
           ") give " + std::to_string(a.distinct_pairs) +
           " pair(s) CPUs of their own, so pair " +
           std::to_string(a.distinct_pairs) + " runs on CPUs " +
           harness::cpu_list({again.driver_cpu, again.peer_cpu}) +
           " with an earlier pair: oversubscribed, so aggregate figures "
           "include scheduling contention";
  }
  return std::nullopt;
}

// "posix_mq: ... 16384, 65536 B are sent as several queue messages ...",
// when a kernel limit caps the unit below some selected sizes.
std::optional<std::string> fragmentation(
    const transports::TransportInfo& t, const std::vector<std::size_t>& sizes) {
  const std::size_t limit = t.caps.fragment_above_bytes;
  std::string above;
  for (std::size_t s : sizes) {
    if (limit == 0 || s <= limit) continue;
    if (!above.empty()) above += ", ";
    above += std::to_string(s);
  }
  if (above.empty()) return std::nullopt;
  return t.name + ": a kernel limit caps one message unit at " +
         std::to_string(limit) + " B, so messages of " + above +
         " B are fragmented (the figures include it); to measure them whole "
         "raise " +
         t.caps.fragment_knob;
}

void add(std::vector<std::string>& out, std::optional<std::string> w) {
  if (w) out.push_back(std::move(*w));
}

}  // namespace

std::vector<std::string> run_warnings(const Options& opt,
                                      const RunFacts& facts) {
  std::vector<std::string> w = facts.environment;
  if (!opt.placement.note.empty()) w.push_back(opt.placement.note);
  for (const auto& p : opt.placements) {
    if (!p.unavailable.empty())
      w.push_back("placement " + p.preset + " skipped: " + p.unavailable);
  }
  add(w, spin_on_one_cpu(opt));
  add(w, pairs_oversubscribe(opt, facts));
  for (const auto& name : opt.transports)
    add(w, fragmentation(*transports::find_transport(name), opt.sizes));
  for (const auto& name : opt.scenarios) {
    for (auto& s :
         scenario_named(name).warnings(opt, facts.topology, facts.allowed))
      w.push_back(std::move(s));
  }
  if (facts.stale_removed > 0) {
    w.push_back("removed " + std::to_string(facts.stale_removed) +
                " IPC object(s) left by ipcbench runs that died "
                "(run ipcbench --cleanup to see them listed)");
  }
  if (facts.stale_refused > 0) {
    w.push_back(
        "refused to remove " + std::to_string(facts.stale_refused) +
        " entr(y/ies) named like IPC objects of dead ipcbench runs that this "
        "user's runs did not make or that are not safe to trust; run "
        "ipcbench --cleanup to list them with the reasons");
  }
  return w;
}

std::optional<std::string> capacity_warning(const nlohmann::ordered_json& rec) {
  if (!rec.contains("capacity") || !rec.contains("transport")) return {};
  const auto& c = rec["capacity"];
  if (c.value("mode", "") != "equal" || !c.contains("applied_bytes") ||
      !c.contains("asked_bytes") || !c["asked_bytes"].is_number())
    return std::nullopt;
  const std::string who = rec["transport"].get<std::string>() + " (" +
                          std::to_string(rec.value("message_bytes", 0)) +
                          " B messages)";
  const auto asked = c["asked_bytes"].get<std::int64_t>();
  if (c["applied_bytes"].is_null()) {
    return who + ": --capacity=equal does not apply (" +
           c.value("reason", std::string("no figure")) +
           "); its figures are not at equal buffering";
  }
  const auto applied = c["applied_bytes"].get<std::int64_t>();
  if (applied >= asked) return std::nullopt;
  std::string w =
      who + ": --capacity=equal asked " + std::to_string(asked) +
      " B in flight per direction, " + std::to_string(applied) +
      " B applied: " + c.value("limit", std::string("a limit stopped it"));
  if (const std::string raise = c.value("sysctl", std::string());
      !raise.empty())
    w += "; to give it the budget: " + raise;
  return w;
}

std::optional<std::string> rate_warning(const nlohmann::ordered_json& rec) {
  if (!rec.contains("rate") || !rec["rate"].is_object()) return std::nullopt;
  const auto& r = rec["rate"];
  if (!r.contains("relative") || !r["relative"].is_object() ||
      !r["relative"].value("above_capacity", false))
    return std::nullopt;
  const auto& rel = r["relative"];
  char figures[160];
  std::snprintf(figures, sizeof figures,
                "offered %.0f msgs/s, %.0f%% of the %.0f msgs/s its "
                "calibration stream run carried",
                r.value("offered_per_s", 0.0), rel.value("percent", 0.0),
                rel.value("stream_msgs_per_s", 0.0));
  return rec.value("name", std::string("rate")) + ": " + figures +
         "; its latency measures a growing backlog. To load it within its "
         "capacity, give percentages such as --rate=10%,50%,90%";
}

}  // namespace ipcb::bench
