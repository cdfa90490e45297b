#include "bench/plan.hpp"

#include <algorithm>
#include <cstdio>

#include "bench/baseline.hpp"
#include "bench/scenarios/registry.hpp"

namespace ipcb::bench {

std::string case_name(const std::string& scenario, const std::string& transport,
                      const std::string& wait, bool show_wait,
                      std::size_t bytes) {
  return scenario + "/" + transport + (show_wait ? ":" + wait : "") + "/" +
         std::to_string(bytes);
}

std::string capacity_suffix(std::size_t capacity_bytes) {
  std::string mode = capacity_mode_text(capacity_bytes);
  std::replace(mode.begin(), mode.end(), ':', '_');
  std::string s = "/capacity_";  // built piecewise: GCC 12 warns on + string
  s += mode;
  return s;
}

namespace {

bool selected(const Options& opt, transports::Wait wait) {
  return std::find(opt.waits.begin(), opt.waits.end(),
                   transports::to_string(wait)) != opt.waits.end();
}

// The cases of one scenario on one transport with one wait strategy.
void plan_transport(const Options& opt, const Scenario& s,
                    const std::vector<Variant>& variants,
                    const transports::TransportInfo& info,
                    transports::Wait wait, std::vector<Case>& out) {
  const bool sweep = opt.placements.size() > 1;
  const bool capacity_sweep = opt.capacities.size() > 1;
  std::string pairs;
  if (opt.pairs > 1) pairs = name_suffix(opt.pairs, "_pairs");
  const bool show_wait = info.caps.waits.size() > 1;
  for (std::size_t bytes : sizes_for(opt, s.name())) {
    for (const Variant& var : variants) {
      for (const auto& place : opt.placements) {
        for (std::size_t capacity : opt.capacities) {
          auto named = [&](const std::string& scenario,
                           const std::string& suffix) {
            std::string name =
                case_name(scenario, info.name, transports::to_string(wait),
                          show_wait, bytes);
            name += suffix;
            if (sweep) name += '/', name += place.name();
            if (capacity_sweep) name += capacity_suffix(capacity);
            return name + pairs;
          };
          out.push_back({named(s.name(), var.suffix), &s, &info, wait, bytes,
                         var, place, capacity, named("stream", "")});
        }
      }
    }
  }
}

// "pingpong and stream", from the registry.
std::string pairs_scenarios() {
  std::vector<std::string> names;
  for (const Scenario* s : all_scenarios()) {
    if (s->listed() && s->supports_pairs()) names.push_back(s->name());
  }
  std::string text;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) text += i + 1 == names.size() ? " and " : ", ";
    text += names[i];
  }
  return text;
}

}  // namespace

std::vector<Case> plan_cases(const Options& opt) {
  std::vector<Case> cases;
  for (const auto& scenario : opt.scenarios) {
    const Scenario& s = scenario_named(scenario);
    const std::vector<Variant> variants = s.variants(opt);
    for (const auto& tname : opt.transports) {
      const auto* info = transports::find_transport(tname);
      for (auto wait : info->caps.waits) {
        if (selected(opt, wait))
          plan_transport(opt, s, variants, *info, wait, cases);
      }
    }
  }
  return cases;
}

// With --remote: what cannot cross hosts (yet), else "".
static std::string across_hosts_problem(const Case& cs, const Options& opt) {
  if (opt.remote.empty()) return "";
  if (!cs.info->caps.crosses_hosts)
    return "across hosts: " + cs.info->name +
           " has no network form (it works within one machine only)";
  if (cs.variant.producers > 0 || cs.variant.consumers > 0)
    return "across hosts: the " + cs.scenario->name() +
           " scenario is not offered yet (one peer per benchmark)";
  if (opt.pairs > 1) return "across hosts: --pairs is not offered yet";
  return "";
}

std::optional<std::string> skip_reason(const Case& cs, const Options& opt) {
  if (!cs.placement.unavailable.empty())
    return "placement " + cs.placement.preset + ": " + cs.placement.unavailable;
  const transports::TransportInfo& t = *cs.info;
  if (auto why = t.unavailable_reason ? t.unavailable_reason() : std::nullopt)
    return "unavailable here: " + *why;
  if (t.caps.max_message_bytes != 0 && cs.bytes > t.caps.max_message_bytes) {
    return std::to_string(cs.bytes) + " B is beyond " + t.name +
           "'s limit of " + std::to_string(t.caps.max_message_bytes) + " B (" +
           t.caps.limits + ")";
  }
  const Scenario& s = *cs.scenario;
  if (auto why = across_hosts_problem(cs, opt); !why.empty()) return why;
  if (auto why = s.size_problem(cs.bytes, opt.verify); !why.empty()) return why;
  if (opt.pairs > 1 && !s.supports_pairs())
    return "--pairs applies to the " + pairs_scenarios() + " scenarios";
  if (auto why = s.transport_problem(t, cs.bytes); !why.empty()) return why;
  return std::nullopt;
}

PlanTiming plan_timing(const std::vector<std::string>& passthrough) {
  PlanTiming t;
  t.min_time_s =
      std::stod(gb_setting(passthrough, "--benchmark_min_time", "0.5"));
  t.min_warmup_s =
      std::stod(gb_setting(passthrough, "--benchmark_min_warmup_time", "0"));
  t.repetitions =
      std::stoi(gb_setting(passthrough, "--benchmark_repetitions", "1"));
  return t;
}

std::vector<PlannedBenchmark> planned_benchmarks(const Options& opt) {
  const PlanTiming t = plan_timing(opt.passthrough);
  std::vector<PlannedBenchmark> plan;
  for (std::size_t bytes : opt.sizes) {
    if (!opt.baselines) break;
    const std::string name = baseline_name(bytes);
    plan.push_back({name, name + "/real_time",
                    planned_run_seconds(t, false, false), false, false});
  }
  for (const Case& cs : plan_cases(opt)) {
    const bool skipped = skip_reason(cs, opt).has_value();
    const double extra =
        extra_seconds(std::max({1, cs.variant.producers, cs.variant.consumers}),
                      cs.variant.rate_percent > 0);
    plan.push_back({cs.name, cs.name + "/manual_time",
                    planned_run_seconds(t, skipped, true, extra), skipped, true,
                    extra});
  }
  return filter_plan(std::move(plan),
                     gb_setting(opt.passthrough, "--benchmark_filter", ""));
}

BudgetPlan apply_budget(Options& opt) {
  const std::vector<PlannedBenchmark> plan = planned_benchmarks(opt);
  PlanTiming t = plan_timing(opt.passthrough);
  if (opt.budget_s <= 0) return plan_without_budget(plan, t);
  const BudgetPlan p = plan_budget(plan, t, opt.budget_s);
  char flag[64];
  std::snprintf(flag, sizeof flag, "--benchmark_min_time=%g", p.min_time_s);
  opt.passthrough.push_back(flag);
  return p;
}

nlohmann::ordered_json plan_json(const BudgetPlan& p, const Options& opt) {
  nlohmann::ordered_json j;
  j["suite"] = suite_name(opt.suite);
  j["budget_s"] = p.budget_s > 0 ? nlohmann::ordered_json(p.budget_s)
                                 : nlohmann::ordered_json(nullptr);
  j["planned_s"] = p.planned_s;
  j["min_time_s"] = p.min_time_s;
  j["benchmarks"] = p.benchmarks;
  j["skipped"] = p.skipped;
  j["overhead_s"] = kCaseOverheadS;
  j["extra_peer_s"] = kExtraPeerS;
  j["rate_capacity_s"] = kRateCapacityS;
  j["min_time_factor"] = kMinTimeFactor;
  return j;
}

}  // namespace ipcb::bench
