#include "bench/methods.hpp"

#include <array>
#include <string_view>

namespace ipcb::bench {

namespace {

using nlohmann::ordered_json;

// Record paths (object keys joined by dots, array indices left out) whose
// strings explain a method rather than report a figure.
constexpr std::array<std::string_view, 10> kPaths = {
    "warmup.method",
    "contention.method",
    "cpu.source",
    "cpu.shared",
    "rate.pacing.detail",
    "fanin.fairness.share_basis",
    "fanin.release",
    "latency.sampling",
    "fanin.fairness.jain_basis",
    "fanout.delivered.basis"};
// Any distribution's rule for missing percentiles, wherever it sits.
constexpr std::string_view kRuleSuffix = "percentiles_missing.rule";

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// The key for `path`: the rule has one wherever it is recorded.
std::string key_for(const std::string& path) {
  if (ends_with(path, kRuleSuffix)) return std::string(kRuleSuffix);
  for (std::string_view p : kPaths)
    if (path == p) return path;
  return {};
}

std::string reference(const std::string& base, const std::string& text,
                      ordered_json& methods) {
  std::string key = base;
  for (int n = 2;; ++n) {
    auto it = methods.find(key);
    if (it == methods.end()) {
      methods[key] = text;
      break;
    }
    if (it->is_string() && it->get_ref<const std::string&>() == text) break;
    key = base + "~" + std::to_string(n);
  }
  return kMethodRef + key;
}

void walk(ordered_json& node, const std::string& path, ordered_json& methods) {
  if (node.is_object()) {
    for (auto& [k, v] : node.items())
      walk(v, path.empty() ? k : path + "." + k, methods);
  } else if (node.is_array()) {
    for (auto& v : node) walk(v, path, methods);
  } else if (node.is_string()) {
    const std::string key = key_for(path);
    const auto& text = node.get_ref<const std::string&>();
    if (key.empty() || text.rfind(kMethodRef, 0) == 0) return;
    node = reference(key, text, methods);
  }
}

}  // namespace

void hoist_methods(ordered_json& rec, ordered_json& methods) {
  if (!methods.is_object()) methods = ordered_json::object();
  walk(rec, "", methods);
}

}  // namespace ipcb::bench
