#include "bench/record_store.hpp"

namespace ipcb::bench {

using nlohmann::ordered_json;

std::int64_t RecordStore::add(ordered_json record) {
  std::lock_guard lock(mu_);
  records_[next_] = std::move(record);
  return next_++;
}

std::optional<ordered_json> RecordStore::take(std::int64_t id) {
  std::lock_guard lock(mu_);
  auto it = records_.find(id);
  if (it == records_.end()) return std::nullopt;
  ordered_json r = std::move(it->second);
  records_.erase(it);
  const std::string name = r.value("name", "");
  std::erase_if(records_, [&](const auto& kv) {
    return kv.first <= id && kv.second.value("name", "") == name;
  });
  return r;
}

std::optional<ordered_json> RecordStore::take_first_failed(
    const std::string& name) {
  std::int64_t first = -1;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, rec] : records_) {
      if (rec.value("name", "") == name &&
          (rec.contains("error") || rec.contains("skipped"))) {
        first = id;
        break;
      }
    }
  }
  if (first < 0) return std::nullopt;
  return take(first);
}

}  // namespace ipcb::bench
