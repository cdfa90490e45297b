#include "harness/malloc_policy.hpp"

#include <malloc.h>

namespace ipcb::harness {

std::optional<MallocPolicy> parse_malloc_policy(const std::string& s) {
  if (s == "steady") return MallocPolicy::kSteady;
  if (s == "glibc") return MallocPolicy::kGlibc;
  return std::nullopt;
}

const char* to_string(MallocPolicy p) {
  return p == MallocPolicy::kSteady ? "steady" : "glibc";
}

std::string apply_malloc_policy(MallocPolicy p) {
  if (p != MallocPolicy::kSteady) return {};
  // Setting either threshold also ends glibc's own adjustment of both.
  if (::mallopt(M_MMAP_THRESHOLD, kSteadyMmapThresholdBytes) != 1 ||
      ::mallopt(M_TRIM_THRESHOLD, kSteadyTrimThresholdBytes) != 1) {
    return "the allocator in use refused mallopt (a sanitizer's allocator "
           "replaces glibc's): its own behaviour applies";
  }
  return {};
}

nlohmann::ordered_json malloc_policy_json(MallocPolicy p,
                                          const std::string& not_applied) {
  nlohmann::ordered_json j;
  if (p == MallocPolicy::kGlibc) {
    j = {{"policy", "glibc"},
         {"detail",
          "glibc's defaults: blocks of 128 KiB and more are mmapped until "
          "glibc raises its threshold on its own (on freeing such a "
          "block, up to 32 MiB); figures of transports that allocate per "
          "message can change between runs with it"}};
  } else {
    j = {{"policy", "steady"},
         {"mmap_threshold_bytes", kSteadyMmapThresholdBytes},
         {"trim_threshold_bytes", kSteadyTrimThresholdBytes},
         {"detail",
          "mallopt in the driver and every peer before any transport: "
          "blocks under 32 MiB come from the heap and freed memory stays "
          "for reuse (glibc's own adjustment fixed at its maximum), so a "
          "transport that allocates per message pays the same in every "
          "run"}};
  }
  if (!not_applied.empty()) j["not_applied"] = not_applied;
  return j;
}

}  // namespace ipcb::harness
