// The results file: Google Benchmark's JSON document, unchanged (so that
// Google Benchmark's compare.py reads it), plus a top-level "ipcbench" object
// whose shape is versioned by schema_version:
//   schema_version, complete (false while the run is going on or after an
//   interruption), command_line, environment, placement, warnings,
//   benchmarks: [{name, repetition_index, scenario, transport, wait,
//                 message_bytes, placement, cpus_observed, iterations,
//                 warmup_messages, applied, latency | throughput, error}],
//   failures: [{name, error}], skipped: [{name, reason}]
// Written atomically: a temporary file in the same directory, fsync, rename.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ipcb::results {

inline constexpr int kSchemaVersion = 1;

// Parses Google Benchmark's JSON text, appends the ipcbench block. Throws
// std::runtime_error if the text is not JSON.
nlohmann::ordered_json combine(const std::string& gbench_json,
                               const nlohmann::ordered_json& ipcbench);

// Creates parent directories, writes `text` to a temporary file, fsyncs and
// renames it over `path`. Throws std::runtime_error naming the path.
void write_atomically(const std::string& path, const std::string& text);

}  // namespace ipcb::results
