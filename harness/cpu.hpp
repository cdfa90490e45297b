// CPU placement: which CPU each side runs on, chosen explicitly and recorded.
#pragma once

#include <string>
#include <vector>

namespace ipcb::harness {

// CPUs in this process's affinity mask, ascending.
std::vector<int> allowed_cpus();

struct Placement {
  std::string preset;   // "cross", "same", "custom", "none"
  int driver_cpu = -1;  // -1: not pinned
  int peer_cpu = -1;
  std::string note;              // e.g. why "cross" fell back to one CPU
  std::string describe() const;  // "cpus 0,1 (cross)"
  std::string name() const;      // "cross", "same", "none", "0:1"
};

// spec: "" or "cross" (first two allowed CPUs), "same" (first allowed CPU
// for both), "A,B" (explicit), "none" (no pinning). Throws
// std::invalid_argument naming what is accepted.
Placement resolve_placement(const std::string& spec,
                            const std::vector<int>& allowed);

// Pins the calling thread to cpu (-1: back to the initial mask); throws.
void pin_current_thread(int cpu);

}  // namespace ipcb::harness

namespace ipcb::harness {
// The affinity mask the process started with (captured on first call, which
// main() makes before pinning anything).
const std::vector<int>& initial_cpus();
}  // namespace ipcb::harness
