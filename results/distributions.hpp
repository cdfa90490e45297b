// The distributions side file: the full percentile spectrum of every latency
// distribution (harness::spectrum_points(), p0..p100 in 106 points), moved
// out of the results file into a gzip-compressed JSON file next to it, so
// that the results file of a full run stays small. The results file keeps
// the percentiles its readers use (kKeptPercentiles) and, in
// ipcbench.distributions, the side file's name, size and CRC-32, so that a
// reader can tell the side file belongs to it.
//
// Side file (JSON, gzip): {"format": kDistributionsFormat, "schema_version",
// "benchmarks": [{"index": i of ipcbench.benchmarks, "name",
// "repetition_index", "spectra": {JSON pointer inside the record to a
// distribution: its full "percentiles_ns"}}]}.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ipcb::results {

inline constexpr const char* kDistributionsFormat = "ipcbench-distributions";

// The percentiles a distribution keeps in the results file: those the
// charts, the summary, compare and the .hgrm export read, and enough of
// the spectrum's shape for a coarse CDF without the side file.
const std::vector<double>& kept_percentiles();

// The side file's name (no directory) for results file `results_path`:
// "distributions.json.gz" beside "results.json", else
// "<stem>.distributions.json.gz" ("run.json" -> "run.distributions.json.gz").
std::string side_file_name(const std::string& results_path);
// The side file's path: side_file_name() in results_path's directory.
std::string side_file_path(const std::string& results_path);

// Moves the spectra out of `block` (the "ipcbench" object): every object in
// a record of block["benchmarks"] holding "percentiles_ns" keeps only the
// kept percentiles; the full ones go into the returned side document.
nlohmann::ordered_json split_distributions(nlohmann::ordered_json& block);

// `data` compressed as one gzip member (zlib); throws std::runtime_error.
std::string gzip(const std::string& data);
// CRC-32 (ISO-HDLC, as zlib and Python's zlib.crc32) of `data`.
std::uint32_t crc32_of(const std::string& data);

// What the results file records of its side file (ipcbench.distributions):
// {"file", "format", "bytes", "crc32", "kept_percentiles", "distributions"}.
nlohmann::ordered_json side_file_entry(const std::string& results_path,
                                       const std::string& compressed,
                                       const nlohmann::ordered_json& side);

}  // namespace ipcb::results
