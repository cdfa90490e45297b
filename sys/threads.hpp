// The threads of this process, by name, and each one's CPU time: how the
// CPU cost of a transport's own threads (ZeroMQ's I/O thread, say) is
// measured from the thread that uses the transport.
//
// Contract. Only threads of the calling process are read (from
// /proc/self/task); a thread that has exited reads as absent, never as an
// error, because a library may end its threads at any time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ipcb::sys {

// The ids of this process's threads whose name (comm) starts with prefix.
std::vector<int> threads_named(const std::string& prefix);

struct ThreadUsage {
  std::int64_t cpu_ns = 0;  // user + system, from the thread's CPU clock
  std::int64_t voluntary_switches = 0, involuntary_switches = 0;
};

// Thread `tid` of this process, or nothing when it no longer exists.
std::optional<ThreadUsage> thread_usage(int tid);

// The calling thread's CPU time (user + system), in ns.
std::int64_t this_thread_cpu_ns() noexcept;

// How long the calling thread has been runnable but waiting for a CPU
// (the scheduler's run_delay, /proc/thread-self/schedstat), in ns; -1
// where the kernel does not report it (no CONFIG_SCHED_INFO).
std::int64_t this_thread_run_delay_ns() noexcept;

}  // namespace ipcb::sys
