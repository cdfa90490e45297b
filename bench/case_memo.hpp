// What one invocation of a benchmark learnt for the next one: Google
// Benchmark invokes each case several times (sizing the iteration count),
// and a few settings that both sides must agree on before the run starts
// (warm-up length, pingpong's batch, fan-in's sampling stride) are sized
// from the previous invocation of the same case, by name. Thread-safe:
// --pairs runs cases on several threads. CaseMemoOf<T> keeps any value
// (the rate scenario's calibration: bench/calibration.hpp).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace ipcb::bench {

template <class T>
class CaseMemoOf {
 public:
  // The value the last invocation of `name` left, else `first`.
  T get(const std::string& name, T first) const {
    return find(name).value_or(std::move(first));
  }
  std::optional<T> find(const std::string& name) const {
    std::lock_guard lock(mu_);
    auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }
  void set(const std::string& name, T value) {
    std::lock_guard lock(mu_);
    values_[name] = std::move(value);
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, T> values_;
};

using CaseMemo = CaseMemoOf<std::int64_t>;

}  // namespace ipcb::bench
