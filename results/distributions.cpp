#include "results/distributions.hpp"

#include <zlib.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "results/results_file.hpp"

namespace ipcb::results {

using nlohmann::ordered_json;

namespace {

std::string key_of(double p) {
  char key[16];
  std::snprintf(key, sizeof key, "%g", p);
  return key;
}

bool kept(const std::string& key) {
  for (double p : kept_percentiles())
    if (key_of(p) == key) return true;
  return false;
}

// Walks `node` (at JSON pointer `at`), moving spectra into `spectra`.
void split(ordered_json& node, const std::string& at, ordered_json& spectra) {
  if (node.is_array()) {
    for (std::size_t i = 0; i < node.size(); ++i)
      split(node[i], at + "/" + std::to_string(i), spectra);
    return;
  }
  if (!node.is_object()) return;
  auto pct = node.find("percentiles_ns");
  if (pct != node.end() && pct->is_object()) {
    ordered_json small = ordered_json::object();
    for (const auto& [k, v] : pct->items())
      if (kept(k)) small[k] = v;
    if (small.size() < pct->size()) {
      spectra[at.empty() ? "" : at] = std::move(*pct);
      *pct = std::move(small);
    }
    // The points missing from the full spectrum are those the side file's
    // percentiles_ns lacks; here, only the kept ones.
    auto miss = node.find("percentiles_missing");
    if (miss != node.end() && miss->is_object() &&
        miss->contains("samples_needed") &&
        (*miss)["samples_needed"].is_object()) {
      auto& needed = (*miss)["samples_needed"];
      for (auto it = needed.begin(); it != needed.end();)
        it = kept(it.key()) ? std::next(it) : needed.erase(it);
      if (needed.empty()) node.erase(miss);
    }
  }
  for (auto& [k, v] : node.items()) {
    if (k == "percentiles_ns" || k == "percentiles_missing") continue;
    std::string escaped;  // RFC 6901: "~" -> "~0", "/" -> "~1"
    for (char c : k)
      escaped += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
    split(v, at + "/" + escaped, spectra);
  }
}

// Moves the value at `path` (dot-separated keys) of `node` into `patch`
// at the same path; a missing or null value stays where it is.
void move_detail(ordered_json& node, std::string_view path,
                 ordered_json& patch) {
  const auto dot = path.find('.');
  const std::string key(path.substr(0, dot));
  if (!node.is_object()) return;
  auto it = node.find(key);
  if (it == node.end() || it->is_null()) return;
  if (dot == std::string_view::npos) {
    patch[key] = std::move(*it);
    node.erase(it);
    return;
  }
  ordered_json sub =
      patch.contains(key) ? std::move(patch[key]) : ordered_json::object();
  move_detail(*it, path.substr(dot + 1), sub);
  if (!sub.empty()) patch[key] = std::move(sub);
}

// Moves, from every object reached through objects, its
// "percentiles_missing" and, from a distribution (an object with
// "percentiles_ns"), its "unit" (always ns) and "min_ns" (its p0).
void move_distribution_details(ordered_json& node, ordered_json& patch) {
  if (!node.is_object()) return;
  move_detail(node, "percentiles_missing", patch);
  if (node.contains("percentiles_ns")) {
    move_detail(node, "unit", patch);
    move_detail(node, "min_ns", patch);
  }
  for (auto& [k, v] : node.items()) {
    if (!v.is_object()) continue;
    ordered_json sub = ordered_json::object();
    move_distribution_details(v, sub);
    if (sub.empty()) continue;
    if (patch.contains(k))
      patch[k].merge_patch(sub);
    else
      patch[k] = std::move(sub);
  }
}

}  // namespace

const std::vector<std::string>& detail_paths() {
  static const std::vector<std::string> paths = [] {
    std::vector<std::string> p = {"cpu.source",
                                  "contention.driver_run_delay_fraction",
                                  "contention.peer_run_delay_fraction",
                                  "contention.threshold",
                                  "contention.method",
                                  "contention.not_judged",
                                  "fanin.fairness.share_basis",
                                  "fanin.fairness.jain_basis",
                                  "fanin.release",
                                  "fanout.delivered.basis",
                                  "latency.sampling",
                                  "warmup",
                                  "rate.sender_lag",
                                  "rate.latency_from_actual_send",
                                  "rate.offered_per_s",
                                  "rate.messages",
                                  "rate.elapsed_ns",
                                  "rate.pacing",
                                  "rate.relative.asked",
                                  "rate.relative.percent",
                                  "rate.relative.stream_source",
                                  "capacity.source",
                                  "placement.shares",
                                  "placement.driver_topology",
                                  "placement.peer_topology"};
    for (const char* side : {"driver", "peer"})
      for (const char* key :
           {"user_ns_per_msg", "system_ns_per_msg",
            "transport_threads_ns_per_msg", "voluntary_switches_per_msg",
            "involuntary_switches_per_msg", "units", "pacing_ns_per_msg",
            "run_delay_ns", "wall_ns"})
        p.push_back(std::string("cpu.") + side + "." + key);
    return p;
  }();
  return paths;
}

ordered_json split_details(ordered_json& rec) {
  ordered_json patch = ordered_json::object();
  for (const auto& path : detail_paths()) move_detail(rec, path, patch);
  move_distribution_details(rec, patch);
  return patch;
}

namespace {

// `v` rounded to `digits` significant digits (itself when not a finite,
// non-integer number); returns whether it changed.
bool round_number(ordered_json& v, int digits) {
  if (!v.is_number_float()) return false;
  const double exact = v.get<double>();
  if (!std::isfinite(exact)) return false;
  char text[32];
  std::snprintf(text, sizeof text, "%.*g", digits, exact);
  const double rounded = std::strtod(text, nullptr);
  if (rounded == exact) return false;
  v = rounded;
  return true;
}

// Rounds every number in `node`, arrays included; returns whether any
// changed.
bool round_all(ordered_json& node, int digits) {
  bool changed = false;
  if (node.is_structured()) {
    for (auto& v : node) changed = round_all(v, digits) || changed;
    return changed;
  }
  return round_number(node, digits);
}

}  // namespace

void round_figures(ordered_json& node, int digits, ordered_json& patch) {
  if (!node.is_object()) return;
  for (auto& [k, v] : node.items()) {
    if (v.is_object()) {
      ordered_json sub = ordered_json::object();
      round_figures(v, digits, sub);
      if (sub.empty()) continue;
      if (patch.contains(k))
        patch[k].merge_patch(sub);
      else
        patch[k] = std::move(sub);
    } else if (v.is_array()) {
      // A merge patch replaces an array whole: the exact one goes.
      ordered_json exact = v;
      if (round_all(v, digits)) patch[k] = std::move(exact);
    } else {
      ordered_json exact = v;
      if (round_number(v, digits)) patch[k] = std::move(exact);
    }
  }
}

const std::vector<double>& kept_percentiles() {
  static const std::vector<double> points = {
      0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100};
  return points;
}

std::string side_file_name(const std::string& results_path) {
  const auto slash = results_path.rfind('/');
  std::string base = slash == std::string::npos
                         ? results_path
                         : results_path.substr(slash + 1);
  if (base == "results.json") return "distributions.json.gz";
  if (base.size() > 5 && base.ends_with(".json")) base.resize(base.size() - 5);
  return base + ".distributions.json.gz";
}

std::string side_file_path(const std::string& results_path) {
  return dir_of(results_path) + "/" + side_file_name(results_path);
}

ordered_json split_distributions(ordered_json& block) {
  ordered_json side = {{"format", kDistributionsFormat},
                       {"schema_version", 1},
                       {"benchmarks", ordered_json::array()}};
  if (!block.contains("benchmarks") || !block["benchmarks"].is_array())
    return side;
  // The run's list of contended runs repeats their records' run-delay
  // fractions, whose exact values the records' details keep.
  if (block.contains("contended") && block["contended"].is_array()) {
    for (auto& entry : block["contended"]) round_all(entry, kFigureDigits);
  }
  auto& records = block["benchmarks"];
  for (std::size_t i = 0; i < records.size(); ++i) {
    ordered_json details = split_details(records[i]);
    ordered_json spectra = ordered_json::object();
    split(records[i], "", spectra);
    round_figures(records[i], kFigureDigits, details);
    if (spectra.empty() && details.empty()) continue;
    ordered_json entry = {{"index", i}, {"name", records[i].value("name", "")}};
    entry["repetition_index"] = records[i].value("repetition_index", 0);
    if (!spectra.empty()) entry["spectra"] = std::move(spectra);
    if (!details.empty()) entry["details"] = std::move(details);
    side["benchmarks"].push_back(std::move(entry));
  }
  return side;
}

std::string gzip(const std::string& data) {
  z_stream z{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("zlib: deflateInit2 failed");
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const auto written = z.total_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END)
    throw std::runtime_error("zlib: deflate did not finish (" +
                             std::to_string(rc) + ")");
  out.resize(written);
  return out;
}

std::uint32_t crc32_of(const std::string& data) {
  return static_cast<std::uint32_t>(::crc32(
      ::crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(data.data()),
      static_cast<uInt>(data.size())));
}

ordered_json side_file_entry(const std::string& results_path,
                             const std::string& compressed,
                             const ordered_json& side) {
  std::size_t count = 0;
  for (const auto& b : side["benchmarks"])
    if (b.contains("spectra")) count += b["spectra"].size();
  ordered_json kept_keys = ordered_json::array();
  for (double p : kept_percentiles()) kept_keys.push_back(key_of(p));
  return {
      {"file", side_file_name(results_path)}, {"format", kDistributionsFormat},
      {"bytes", compressed.size()},           {"crc32", crc32_of(compressed)},
      {"kept_percentiles", kept_keys},        {"distributions", count}};
}

}  // namespace ipcb::results
