// The summary printed once a run has ended: per scenario and message size
// (and variant: offered rate, producers, placement or capacity when
// swept) the three best transports by the scenario's headline figure,
// then what failed and what was skipped, with the reason, then where the
// results are. Pure functions over the results block (the "ipcbench"
// object of the results file); main prints the text.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ipcb::bench {

// A scenario's headline figure (README "How to read the figures"):
// pingpong, oneway, rate: p50 latency in ns, lower is better; stream:
// bytes/s, fanin: messages/s, fanout: messages/s delivered (all consumers
// together), higher is better. nullopt for a scenario
// without one (the memcpy baseline).
struct Headline {
  const char* label;  // "p50", "bytes/s", "msgs/s"
  bool higher_is_better;
};
std::optional<Headline> headline_of(const std::string& scenario);

// The headline figure of one record, or nullopt (skipped, failed, no
// figure).
std::optional<double> headline_value(const nlohmann::ordered_json& record);

struct Ranked {
  std::string series;  // "shm_ring:spin", as the benchmark name shows it
  double value = 0;
};

struct Ranking {
  std::string group;  // the benchmark name without its transport segment
  std::string scenario;
  std::vector<Ranked> best;  // best first, at most `top`
};

// Records of one benchmark (its repetitions) count once, with the median
// of their figures. Groups in the order their first record comes; ties
// keep that order too.
std::vector<Ranking> rank_transports(const nlohmann::ordered_json& records,
                                     std::size_t top = 3);

// Three significant digits: "97.0 ns", "1.80 us", "46.1 us", "1.90 ms";
// "24.6 GB/s"; "2.15 M msgs/s".
std::string format_headline(const std::string& scenario, double value);

// "name: reason", one per benchmark (repetitions once), in order, from
// the block's "failures" (key "error") or "skipped" (key "reason").
std::vector<std::string> listed_problems(const nlohmann::ordered_json& list,
                                         const char* reason_key);

// Skipped benchmarks grouped by their reason, which they often share (a
// scenario a transport does not offer): "a, b, c and 4 more: reason",
// at most `names` names a line, groups in the order they first come.
std::vector<std::string> grouped_by_reason(const nlohmann::ordered_json& list,
                                           const char* reason_key,
                                           std::size_t names = 3);

// At most this many lines of failed and of skipped benchmarks are listed;
// the rest are counted.
inline constexpr std::size_t kMaxListed = 10;

struct SummaryPaths {
  std::string results;  // empty: the results file was not written
  std::string report;   // report.html, empty when not known
};

// The whole summary: a header with the number of runs and the elapsed
// time, the rankings, the failures, the skipped, the paths.
std::string summary_text(const nlohmann::ordered_json& block, double elapsed_s,
                         const SummaryPaths& paths);

}  // namespace ipcb::bench
