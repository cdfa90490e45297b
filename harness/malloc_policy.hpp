// How glibc's malloc behaves in every ipcbench process (driver and peers).
//
// Contract. glibc serves a request at or above its mmap threshold with a
// fresh mmap (and unmaps it on free, so each such buffer costs page faults
// again), and it raises that threshold by itself whenever such a block is
// freed, up to 32 MiB; it also returns free heap memory above its trim
// threshold to the kernel. So a transport that allocates large buffers per
// message (gRPC, protobuf, ZeroMQ, hiredis) ran fast or several times
// slower depending on which blocks this process happened to free first: on
// this project's VM gRPC streamed 64 KiB messages at 2.9 GB/s or 0.2 GB/s
// from one run to the next. kSteady (the default) fixes both thresholds at
// what glibc's own adjustment reaches at most (mmap 32 MiB, trim 64 MiB),
// before any transport exists, in the driver and in every peer (the peer
// gets it in its job); kGlibc leaves glibc as it starts. The results
// record which (ipcbench.malloc).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace ipcb::harness {

enum class MallocPolicy { kSteady, kGlibc };

inline constexpr long kSteadyMmapThresholdBytes = 32L << 20;
inline constexpr long kSteadyTrimThresholdBytes = 64L << 20;

std::optional<MallocPolicy> parse_malloc_policy(const std::string& s);
const char* to_string(MallocPolicy p);

// Applies `p` to this process: kSteady sets both thresholds (mallopt);
// kGlibc changes nothing. Returns why it could not (the allocator in use
// refused mallopt, as AddressSanitizer's does), empty when applied.
std::string apply_malloc_policy(MallocPolicy p);

// What the results record: the policy, its thresholds, what it means, and
// `not_applied` when apply_malloc_policy returned a reason.
nlohmann::ordered_json malloc_policy_json(MallocPolicy p,
                                          const std::string& not_applied);

}  // namespace ipcb::harness
