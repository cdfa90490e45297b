// What one invocation of a benchmark learnt for the next one: Google
// Benchmark invokes each case several times (sizing the iteration count),
// and a few settings that both sides must agree on before the run starts
// (warm-up length, pingpong's batch, fan-in's sampling stride) are sized
// from the previous invocation of the same case, by name. Thread-safe:
// --pairs runs cases on several threads.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace ipcb::bench {

class CaseMemo {
 public:
  // The value the last invocation of `name` left, else `first`.
  std::int64_t get(const std::string& name, std::int64_t first) const {
    std::lock_guard lock(mu_);
    auto it = values_.find(name);
    return it == values_.end() ? first : it->second;
  }
  void set(const std::string& name, std::int64_t value) {
    std::lock_guard lock(mu_);
    values_[name] = value;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::int64_t> values_;
};

}  // namespace ipcb::bench
