// "nop": a test-only scenario that proves the scenario seam. It moves
// nothing, its peer answers at once, and it reports a constant counter. It
// is added to the registry from here, touching no other scenario's file,
// and linked into ipcbench_nop (bench/main.cpp + this file), whose peers
// are ipcbench_nop itself.
#include <benchmark/benchmark.h>

#include "bench/scenarios/registry.hpp"

namespace ipcb::testing {
namespace {

class Nop final : public bench::Scenario {
 public:
  std::string name() const override { return "nop"; }
  void drive(benchmark::State& state, transports::Transport&, const bench::Job&,
             bench::Measurement&, const bench::Gate&) const override {
    for (auto _ : state) state.SetIterationTime(1e-6);
  }
  nlohmann::json serve(transports::Transport&, const bench::Job&,
                       const bench::Fault&, const bench::Gate&) const override {
    return {{"nop", "served"}};
  }
  void report(benchmark::State& state, const bench::Job&, bench::Outcome& run,
              nlohmann::ordered_json& rec) const override {
    state.counters["nop_constant"] = 42;
    rec["nop"] = {{"constant", 42}, {"peer", run.done.at(0).at("nop")}};
  }
};

const Nop kNop;
[[maybe_unused]] const bool kAdded = (bench::add_scenario(kNop), true);

}  // namespace
}  // namespace ipcb::testing
