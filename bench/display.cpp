#include "bench/display.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>

#include "bench/options.hpp"
#include "transports/registry.hpp"

namespace ipcb::bench {

std::unique_ptr<benchmark::BenchmarkReporter> make_reporter(
    const std::string& format, const std::vector<std::string>& passthrough,
    bool may_use_color) {
  if (format == "json") return std::make_unique<benchmark::JSONReporter>();
  if (format == "csv") {
    // Deprecated upstream but still offered by --benchmark_format=csv.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    return std::make_unique<benchmark::CSVReporter>();
#pragma GCC diagnostic pop
  }
  const std::string color =
      gb_setting(passthrough, "--benchmark_color", "auto");
  const bool use_color =
      may_use_color &&
      (color == "auto" ? ::isatty(STDOUT_FILENO) == 1 : gb_true(color));
  const bool tabular =
      gb_true(gb_setting(passthrough, "--benchmark_counters_tabular", "true"));
  int opts = benchmark::ConsoleReporter::OO_None;
  if (use_color) opts |= benchmark::ConsoleReporter::OO_Color;
  if (tabular) opts |= benchmark::ConsoleReporter::OO_Tabular;
  return std::make_unique<benchmark::ConsoleReporter>(
      static_cast<benchmark::ConsoleReporter::OutputOptions>(opts));
}

std::unique_ptr<benchmark::BenchmarkReporter> make_display(
    const std::vector<std::string>& passthrough) {
  return make_reporter(gb_setting(passthrough, "--benchmark_format", "console"),
                       passthrough, true);
}

BenchmarkOut take_benchmark_out(std::vector<std::string>& gb_args,
                                const std::vector<std::string>& passthrough) {
  BenchmarkOut out{gb_setting(passthrough, "--benchmark_out", ""),
                   gb_setting(passthrough, "--benchmark_out_format", "json")};
  std::erase_if(gb_args, [](const std::string& a) {
    return a.rfind("--benchmark_out=", 0) == 0 ||
           a.rfind("--benchmark_out_format=", 0) == 0;
  });
  ::unsetenv("BENCHMARK_OUT");
  ::unsetenv("BENCHMARK_OUT_FORMAT");
  return out;
}

void print_list() {
  std::printf("%-14s %-10s %-9s %-11s %-9s %-9s %-6s %s\n", "transport",
              "max_msg", "bounds", "waits", "fanin", "fanout", "hosts",
              "description / limits");
  for (const auto& t : transports::all_transports()) {
    std::string waits;
    for (auto w : t.caps.waits)
      waits += waits.empty() ? "" : ",", waits += transports::to_string(w);
    std::string max = t.caps.max_message_bytes
                          ? std::to_string(t.caps.max_message_bytes)
                          : "any";
    const std::size_t fan = t.caps.fanin_max_bytes;
    std::string fanin = fan == 0                      ? "no"
                        : fan == transports::kAnySize ? "any"
                                                      : std::to_string(fan);
    const char* fanout = t.caps.fanout == transports::Fanout::kNone ? "no"
                         : t.caps.fanout == transports::Fanout::kLossless
                             ? "lossless"
                             : "may-drop";
    auto why = t.unavailable_reason ? t.unavailable_reason() : std::nullopt;
    std::printf("%-14s %-10s %-9s %-11s %-9s %-9s %-6s %s%s\n", t.name.c_str(),
                max.c_str(), t.caps.preserves_boundaries ? "kept" : "stream",
                waits.c_str(), fanin.c_str(), fanout,
                t.caps.crosses_hosts ? "two" : "one", t.description.c_str(),
                why ? (" [UNAVAILABLE: " + *why + "]").c_str() : "");
    std::printf("%-74s limits: %s\n", "", t.caps.limits.c_str());
  }
}
}  // namespace ipcb::bench
