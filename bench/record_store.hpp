// RecordStore: the results records of benchmark invocations, by id, until
// the reporter takes them into the results file.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace ipcb::bench {

// The Google Benchmark counter that links a run to its record's id.
inline constexpr const char* kRecordCounter = "ipcb_record_id";

// Records of benchmark invocations, by id; each record has a "name".
// Google Benchmark reports only the last invocation of a case, so taking a
// record drops the older ones of the same name. Error runs carry no
// counters, hence take_first_failed(name): with repetitions Google Benchmark
// reports them together, in order, and each repetition's invocations end in
// one failed or skipped record. Thread-safe.
class RecordStore {
 public:
  std::int64_t add(nlohmann::ordered_json record);
  std::optional<nlohmann::ordered_json> take(std::int64_t id);
  // The oldest record of that name holding "error" or "skipped".
  std::optional<nlohmann::ordered_json> take_first_failed(
      const std::string& name);

 private:
  std::mutex mu_;
  std::int64_t next_ = 1;
  std::map<std::int64_t, nlohmann::ordered_json> records_;
};

}  // namespace ipcb::bench
