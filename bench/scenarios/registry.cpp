#include "bench/scenarios/registry.hpp"

#include <stdexcept>

namespace ipcb::bench {

namespace {

std::vector<const Scenario*>& registry() {
  // One scenario per line (keeps additions from different branches apart).
  // clang-format off
  static std::vector<const Scenario*> all = {
      &pingpong_scenario(),
      &stream_scenario(),
      &oneway_scenario(),
      &rate_scenario(),
      &fanin_scenario(),
      &fanout_scenario(),
      &conformance_scenario(),
  };
  // clang-format on
  return all;
}

}  // namespace

const std::vector<const Scenario*>& all_scenarios() { return registry(); }

const Scenario* find_scenario(const std::string& name) {
  for (const Scenario* s : registry()) {
    if (s->name() == name) return s;
  }
  return nullptr;
}

const Scenario& scenario_named(const std::string& name) {
  const Scenario* s = find_scenario(name);
  if (s == nullptr)
    throw std::invalid_argument("unknown scenario '" + name + "'");
  return *s;
}

std::vector<std::string> scenario_names() {
  std::vector<std::string> names;
  for (const Scenario* s : registry()) {
    if (s->listed()) names.push_back(s->name());
  }
  return names;
}

bool is_scenario(const std::string& name) {
  const Scenario* s = find_scenario(name);
  return s != nullptr && s->listed();
}

void add_scenario(const Scenario& s) {
  if (find_scenario(s.name()) != nullptr)
    throw std::invalid_argument("scenario '" + s.name() +
                                "' is registered twice");
  registry().push_back(&s);
}

}  // namespace ipcb::bench
