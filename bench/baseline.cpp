#include "bench/baseline.hpp"

#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "bench/framing.hpp"
#include "harness/clock.hpp"
#include "harness/cpu.hpp"

namespace ipcb::bench {

namespace {

void run_memcpy(benchmark::State& state, std::size_t n,
                const harness::Placement& place, RecordStore& store) {
  harness::pin_current_thread(place.driver_cpu);
  std::vector<std::byte> src(n), dst(n);
  fill_pattern(src.data(), n, 4);
  std::memset(dst.data(), 0, n);
  const std::int64_t t0 = harness::now_ns();
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), n);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  const std::int64_t elapsed = harness::now_ns() - t0;
  if (check_pattern(dst.data(), n, 4) >= 0) {
    state.SkipWithError("memcpy produced a wrong copy");
    return;
  }
  const auto iters = static_cast<double>(state.iterations());
  const double secs = static_cast<double>(elapsed) * 1e-9;
  state.counters["bytes_per_second"] = iters * static_cast<double>(n) / secs;
  state.counters["ns_per_copy"] = static_cast<double>(elapsed) / iters;
  nlohmann::ordered_json rec = {
      {"name", baseline_name(n)},
      {"scenario", "memcpy"},
      {"transport", "memcpy"},
      {"wait", "none"},
      {"message_bytes", n},
      {"placement",
       {{"preset", place.preset},
        {"driver_cpu", place.driver_cpu},
        {"peer_cpu", -1}}},
      {"iterations", state.iterations()},
      {"throughput",
       {{"messages", state.iterations()},
        {"elapsed_ns", elapsed},
        {"bytes_per_second", iters * static_cast<double>(n) / secs},
        {"ns_per_copy", static_cast<double>(elapsed) / iters}}}};
  state.counters[kRecordCounter] = static_cast<double>(store.add(rec));
}

}  // namespace

std::string baseline_name(std::size_t bytes) {
  return "baseline/memcpy/" + std::to_string(bytes);
}

int register_baselines(const RunSettings& settings, RecordStore& store) {
  if (!settings.options.baselines) return 0;
  int n = 0;
  for (std::size_t bytes : settings.options.sizes) {
    const harness::Placement place = settings.options.placement;
    benchmark::RegisterBenchmark(
        baseline_name(bytes).c_str(),
        [bytes, place, &store, &settings](benchmark::State& st) {
          if (settings.on_case_start)
            settings.on_case_start(baseline_name(bytes), {});
          run_memcpy(st, bytes, place, store);
        })
        ->UseRealTime();
    ++n;
  }
  return n;
}

}  // namespace ipcb::bench
