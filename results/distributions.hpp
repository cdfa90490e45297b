// The distributions side file: the full percentile spectrum of every latency
// distribution (harness::spectrum_points(), p0..p100 in 106 points), moved
// out of the results file into a gzip-compressed JSON file next to it, so
// that the results file of a full run stays small. The results file keeps
// the percentiles its readers use (kKeptPercentiles) and, in
// ipcbench.distributions, the side file's name, size and CRC-32, so that a
// reader can tell the side file belongs to it.
//
// The side file also holds each record's details: fields that no chart, the
// summary, compare or the .hgrm export reads (detail_paths(): the CPU-time
// breakdown, run delays, warm-up, rate's sender lag, topology indexes,
// samples_needed tables...), moved out of the results file as one JSON
// merge patch (RFC 7386) per record; merged back, the record is whole.
//
// Side file (JSON, gzip): {"format": kDistributionsFormat, "schema_version",
// "benchmarks": [{"index": i of ipcbench.benchmarks, "name",
// "repetition_index", "spectra": {JSON pointer inside the record to a
// distribution: its full "percentiles_ns"}, "details": {merge patch}}]}
// ("spectra" and "details" each when the record has any).
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

// Record paths (object keys joined by dots) of the details moved to the side
// file; any "percentiles_missing" reached through objects only also moves,
// and a distribution's "unit" (ns) and "min_ns" (its p0, which stays). A
// null value stays (a merge patch's null deletes).
const std::vector<std::string>& detail_paths();

// Moves `rec`'s details (above) out of it; returns them as a merge patch
// (an empty object when it has none).
nlohmann::ordered_json split_details(nlohmann::ordered_json& rec);

// Moves the details and spectra out of `block` (the "ipcbench" object):
// each record of block["benchmarks"] loses its details (split_details),
// every object in it holding "percentiles_ns" keeps only the kept
// percentiles, and its figures are rounded to kFigureDigits
// (round_figures); the details, the exact figures and the full spectra go
// into the returned side document.
nlohmann::ordered_json split_distributions(nlohmann::ordered_json& block);

// Significant digits of the figures the results file keeps (kFigureDigits).
inline constexpr int kFigureDigits = 7;

// Rounds every non-integer number in `node` to `digits` significant
// digits: derived figures such as means, rates, fractions and per-message
// costs. Each exact value that rounding changed goes into `patch` at its
// path (an array that holds one: the whole exact array, as a merge patch
// replaces arrays whole), so that merging the patch back gives the exact
// record.
void round_figures(nlohmann::ordered_json& node, int digits,
                   nlohmann::ordered_json& patch);

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
