// Baselines that are not IPC: `baseline/memcpy/<size>` copies a message
// between two pre-faulted buffers in one thread — the copy floor that every
// copying transport pays at least once per direction (kernel transports
// twice: user -> kernel -> user). Timed by Google Benchmark over the whole
// loop (no per-copy clock read); reported as bytes_per_second and
// ns_per_copy.
#pragma once

#include "bench/cases.hpp"

namespace ipcb::bench {

int register_baselines(const RunSettings& settings, RecordStore& store);

// "baseline/memcpy/<bytes>".
std::string baseline_name(std::size_t bytes);

}  // namespace ipcb::bench
