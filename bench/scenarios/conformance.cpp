// conformance (tests only, not listed): byte-exact round trips of a list
// of sizes (Job::sizes), each checked against its pattern on both sides.
// Tests call drive_conformance() directly; the peer serves it like any
// scenario.
#include <stdexcept>
#include <string>

#include "bench/scenarios/registry.hpp"

namespace ipcb::bench {

using transports::Transport;

void drive_conformance(Transport& t, const Job& job) {
  for (std::size_t size : job.sizes) {
    Buffer out(size), in(size);
    fill_pattern(out.data(), size, static_cast<std::uint32_t>(size));
    t.send(out.data(), size);
    t.recv(in.data(), size);
    auto bad =
        check_pattern(in.data(), size, static_cast<std::uint32_t>(size) + 1);
    if (bad >= 0) {
      throw std::runtime_error("reply of " + std::to_string(size) +
                               " B differs at byte " + std::to_string(bad));
    }
  }
}

namespace {

nlohmann::json serve_conformance(Transport& t, const Job& job) {
  for (std::size_t size : job.sizes) {
    Buffer buf(size);
    t.recv(buf.data(), size);
    auto bad =
        check_pattern(buf.data(), size, static_cast<std::uint32_t>(size));
    if (bad >= 0) {
      throw std::runtime_error("message of " + std::to_string(size) +
                               " B differs at byte " + std::to_string(bad));
    }
    fill_pattern(buf.data(), size, static_cast<std::uint32_t>(size) + 1);
    t.send(buf.data(), size);
  }
  return nlohmann::json::object();
}

class Conformance final : public Scenario {
 public:
  std::string name() const override { return "conformance"; }
  bool listed() const override { return false; }
  bool alternates() const override { return true; }
  // Not timed: the exchange, once.
  void drive(benchmark::State&, Transport& t, const Job& job, Measurement&,
             const Gate&) const override {
    drive_conformance(t, job);
  }
  nlohmann::json serve(Transport& t, const Job& job, const Fault&,
                       const Gate&) const override {
    return serve_conformance(t, job);
  }
  void report(benchmark::State&, const Job&, Outcome&,
              nlohmann::ordered_json&) const override {}
};

}  // namespace

const Scenario& conformance_scenario() {
  static const Conformance s;
  return s;
}

}  // namespace ipcb::bench
