// What ipcbench shows and what it takes from Google Benchmark's hands: the
// display reporter (the way Google Benchmark's own display would show the
// results, from the same checked flags and environment), --benchmark_out,
// and the --list table of transports.
#pragma once

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

namespace ipcb::bench {

// A Google Benchmark reporter for `format` (console, json or csv); the
// console's colour (auto: when stdout is a terminal, and may_use_color)
// and tabular counters (on unless turned off) as the passthrough flags say.
std::unique_ptr<benchmark::BenchmarkReporter> make_reporter(
    const std::string& format, const std::vector<std::string>& passthrough,
    bool may_use_color);

// The display: --benchmark_format's reporter on stdout.
std::unique_ptr<benchmark::BenchmarkReporter> make_display(
    const std::vector<std::string>& passthrough);

// Google Benchmark would open --benchmark_out itself (following links,
// truncating whatever is there): ipcbench takes the flag and its format
// (also from BENCHMARK_OUT / BENCHMARK_OUT_FORMAT) out of Google
// Benchmark's hands (out of gb_args and the environment) and writes that
// file as it writes its own.
struct BenchmarkOut {
  std::string path, format;
};
BenchmarkOut take_benchmark_out(std::vector<std::string>& gb_args,
                                const std::vector<std::string>& passthrough);

// --list: every transport, its capabilities and limits.
void print_list();

}  // namespace ipcb::bench
