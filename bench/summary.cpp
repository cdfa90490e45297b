#include "bench/summary.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "bench/progress.hpp"

namespace ipcb::bench {

using nlohmann::ordered_json;

std::optional<Headline> headline_of(const std::string& scenario) {
  if (scenario == "pingpong" || scenario == "oneway" || scenario == "rate")
    return Headline{"p50", false};
  if (scenario == "stream") return Headline{"bytes/s", true};
  if (scenario == "fanin" || scenario == "fanout")
    return Headline{"msgs/s", true};
  return std::nullopt;
}

namespace {

// j[k0][k1]...: the number there, or nullopt.
std::optional<double> number_at(const ordered_json& j,
                                std::initializer_list<const char*> path) {
  const ordered_json* at = &j;
  for (const char* key : path) {
    if (!at->is_object()) return std::nullopt;
    auto it = at->find(key);
    if (it == at->end()) return std::nullopt;
    at = &*it;
  }
  if (!at->is_number()) return std::nullopt;
  return at->get<double>();
}

// The aggregate of all pairs (--pairs) when there is one, else the run's.
std::optional<double> rate_of(const ordered_json& rec, const char* key) {
  if (auto v = number_at(rec, {"aggregate", key})) return v;
  return number_at(rec, {"throughput", key});
}

// "pingpong/pipe/64/cross" -> {"pingpong/64/cross", "pipe"}.
std::pair<std::string, std::string> split_name(const std::string& name) {
  const auto a = name.find('/');
  if (a == std::string::npos) return {name, ""};
  const auto b = name.find('/', a + 1);
  if (b == std::string::npos) return {name.substr(0, a), name.substr(a + 1)};
  return {name.substr(0, a) + name.substr(b), name.substr(a + 1, b - a - 1)};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string three_digits(double v, const char* unit) {
  char buf[48];
  const char* fmt = v >= 100 ? "%.0f %s" : v >= 10 ? "%.1f %s" : "%.2f %s";
  std::snprintf(buf, sizeof buf, fmt, v, unit);
  return buf;
}

// 1234567 -> "1.23 M" + unit, with k, M, G (powers of 1000).
std::string scaled(double v, const char* unit) {
  static const char* const kPrefix[] = {"", "k", "M", "G", "T"};
  int i = 0;
  while (v >= 1000 && i < 4) v /= 1000, ++i;
  std::string u = kPrefix[i];
  u += unit;
  return three_digits(v, u.c_str());
}

}  // namespace

std::optional<double> headline_value(const ordered_json& rec) {
  if (!rec.is_object() || rec.contains("error") || rec.contains("skipped"))
    return std::nullopt;
  const std::string scenario = rec.value("scenario", "");
  if (scenario == "pingpong" || scenario == "rate")
    return number_at(rec, {"latency", "percentiles_ns", "50"});
  if (scenario == "oneway")
    return number_at(rec, {"oneway", "driver_to_peer", "percentiles_ns", "50"});
  if (scenario == "stream") return rate_of(rec, "bytes_per_second");
  if (scenario == "fanin") return rate_of(rec, "msgs_per_s");
  // fanout: what reached the consumers (all together), not what was sent.
  if (scenario == "fanout")
    return number_at(rec, {"fanout", "delivered", "msgs_per_s"});
  return std::nullopt;
}

std::vector<Ranking> rank_transports(const ordered_json& records,
                                     std::size_t top) {
  struct Series {
    std::string name;
    std::vector<double> values;
  };
  struct Group {
    std::string scenario;
    std::vector<Series> series;  // in the order they first come
  };
  std::vector<std::string> order;
  std::map<std::string, Group> groups;
  for (const auto& rec : records) {
    const auto value = headline_value(rec);
    if (!value) continue;
    const std::string scenario = rec.value("scenario", "");
    if (!headline_of(scenario)) continue;
    const auto [group, series] = split_name(rec.value("name", ""));
    auto [it, fresh] = groups.try_emplace(group, Group{scenario, {}});
    if (fresh) order.push_back(group);
    auto& list = it->second.series;
    auto s = std::find_if(list.begin(), list.end(),
                          [&](const Series& x) { return x.name == series; });
    if (s == list.end()) s = list.insert(list.end(), Series{series, {}});
    s->values.push_back(*value);
  }
  std::vector<Ranking> out;
  for (const auto& name : order) {
    const Group& g = groups[name];
    const bool higher = headline_of(g.scenario)->higher_is_better;
    std::vector<Ranked> ranked;
    for (const auto& s : g.series) ranked.push_back({s.name, median(s.values)});
    std::stable_sort(ranked.begin(), ranked.end(),
                     [&](const Ranked& a, const Ranked& b) {
                       return higher ? a.value > b.value : a.value < b.value;
                     });
    if (ranked.size() > top) ranked.resize(top);
    out.push_back({name, g.scenario, std::move(ranked)});
  }
  return out;
}

std::string format_headline(const std::string& scenario, double value) {
  if (scenario == "stream") return scaled(value, "B/s");
  if (scenario == "fanin" || scenario == "fanout") {
    std::string n = scaled(value, "");  // "2.15 M", "500 "
    if (n.back() == ' ') n.pop_back();
    return n + " msgs/s";
  }
  if (value < 1000) return three_digits(value, "ns");
  if (value < 1e6) return three_digits(value / 1e3, "us");
  if (value < 1e9) return three_digits(value / 1e6, "ms");
  return three_digits(value / 1e9, "s");
}

std::vector<std::string> listed_problems(const ordered_json& list,
                                         const char* reason_key) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& item : list) {
    const std::string name = item.value("name", "");
    if (!seen.insert(name).second) continue;
    out.push_back(name + ": " + item.value(reason_key, ""));
  }
  return out;
}

std::vector<std::string> grouped_by_reason(const ordered_json& list,
                                           const char* reason_key,
                                           std::size_t names) {
  std::vector<std::string> reasons;
  std::map<std::string, std::vector<std::string>> by_reason;
  std::set<std::string> seen;
  for (const auto& item : list) {
    const std::string name = item.value("name", "");
    if (!seen.insert(name).second) continue;
    const std::string reason = item.value(reason_key, "");
    auto& group = by_reason[reason];
    if (group.empty()) reasons.push_back(reason);
    group.push_back(name);
  }
  std::vector<std::string> out;
  for (const auto& reason : reasons) {
    const auto& group = by_reason[reason];
    std::string line;
    for (std::size_t i = 0; i < group.size() && i < names; ++i)
      line += (i ? ", " : "") + group[i];
    if (group.size() > names)
      line += " and " + std::to_string(group.size() - names) + " more";
    out.push_back(line + ": " + reason);
  }
  return out;
}

namespace {

// "Title (count):" and the lines, at most kMaxListed of them.
void list_section(std::string& text, const char* title, std::size_t count,
                  const std::vector<std::string>& lines) {
  if (lines.empty()) return;
  text += title;
  text += " (" + std::to_string(count) + "):\n";
  for (std::size_t i = 0; i < lines.size() && i < kMaxListed; ++i)
    text += "  " + lines[i] + "\n";
  if (lines.size() > kMaxListed)
    text += "  ... and " + std::to_string(lines.size() - kMaxListed) +
            " more in the results file\n";
}

}  // namespace

std::string summary_text(const ordered_json& block, double elapsed_s,
                         const SummaryPaths& paths) {
  const ordered_json empty = ordered_json::array();
  auto list = [&](const char* key) -> const ordered_json& {
    auto it = block.find(key);
    return it != block.end() && it->is_array() ? *it : empty;
  };
  const ordered_json& records = list("benchmarks");
  std::string text = "Summary: " + std::to_string(records.size()) +
                     " benchmark run(s) in " + format_duration(elapsed_s) +
                     "\n";
  const auto rankings = rank_transports(records);
  if (!rankings.empty()) {
    std::size_t width = 0;
    for (const auto& r : rankings) width = std::max(width, r.group.size());
    text += "Best transports (p50: lower is better; B/s, msgs/s: higher):\n";
    for (const auto& r : rankings) {
      std::string line = "  " + r.group;
      line.append(width - r.group.size() + 2, ' ');
      std::string label = headline_of(r.scenario)->label;
      label.resize(std::max<std::size_t>(label.size(), 7), ' ');  // "bytes/s"
      for (std::size_t i = 0; i < r.best.size(); ++i) {
        line += i ? ", " : label + " ";
        line += std::to_string(i + 1) + ". " + r.best[i].series + " " +
                format_headline(r.scenario, r.best[i].value);
      }
      text += line + "\n";
    }
  }
  const auto failed = listed_problems(list("failures"), "error");
  list_section(text, "Failed", failed.size(), failed);
  list_section(text, "Skipped",
               listed_problems(list("skipped"), "reason").size(),
               grouped_by_reason(list("skipped"), "reason"));
  if (!paths.results.empty()) text += "results: " + paths.results + "\n";
  if (!paths.report.empty()) text += "report: " + paths.report + "\n";
  return text;
}

}  // namespace ipcb::bench
