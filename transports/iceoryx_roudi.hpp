// RouDi, iceoryx's central daemon, as this process runs it for the iceoryx
// transport (Eclipse iceoryx 2.0.3, Debian's iox-roudi).
//
// Why one RouDi per driver process, started once. iceoryx 2.0 has no domain
// id or name prefix: RouDi always uses the fixed names /tmp/roudi (its Unix
// socket), /tmp/iox-unique-roudi.lock (its single-instance lock),
// /dev/shm/iceoryx_mgmt and /dev/shm/<its group's name> (the management and
// payload segments), so ONE RouDi runs per machine. A process may register
// with RouDi only once (PoshRuntime::initRuntime), and the driver runs many
// benchmarks, so RouDi is started at the first iceoryx benchmark and lives
// until the driver ends; peers (fresh processes) register with it.
//
// Contract. ensure_roudi() starts it once per process (later calls return
// its pid): it refuses, touching nothing, when any fixed name exists (another
// RouDi runs or left it; a symlink or another user's file there is never
// used); it creates a private 0700 run directory /tmp/ipcb_<pid>_<16 hex>
// holding roudi.toml (mempools: mempool_plan()), roudi.log (RouDi's
// stdout/stderr) and the manifest (sys/manifest.hpp) lines "roudi <pid>
// <start time>" and, once RouDi is ready, "roudi-file <path> <dev> <ino>"
// for each fixed name it made; it forks (from a thread of its own that lives
// as long as RouDi, so that PR_SET_PDEATHSIG kills RouDi when the driver
// dies) and execs iox-roudi with dead-app monitoring on, in its own process
// group (a terminal's Ctrl-C reaches the driver, which stops it); it waits
// (bounded, cancellable) for "RouDi is ready for clients", else throws with
// RouDi's own error line. stop_roudi() (at exit, registered with atexit
// before this process's iceoryx runtime exists so that the runtime
// deregisters first; and from the driver's interrupt path) SIGKILLs RouDi
// (a SIGTERM would make RouDi SIGTERM every registered process, the driver
// too), reaps it, and removes the fixed names it made, each only if it is
// still the very file recorded (device and inode), then the run directory.
// After a SIGKILLed driver, harness/cleanup.cpp does the same from the
// manifest. Runtime names are "<run dir name>/<role>", so that each
// process's own iceoryx socket (/tmp/<runtime name>) lands in the run
// directory.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace ipcb::transports::iceoryx {

inline constexpr char kRoudiPath[] = "/usr/bin/iox-roudi";

// The fixed names of a RouDi of this user/group (absolute paths).
std::vector<std::string> fixed_names();
// Why a RouDi cannot be started here now (iox-roudi missing, or a fixed name
// taken by something other than this process's own RouDi), else nothing.
std::optional<std::string> roudi_unavailable();

// Starts this process's RouDi unless it runs; its pid. Throws
// std::runtime_error naming what went wrong.
pid_t ensure_roudi();
// The run directory's name ("ipcb_<pid>_<16 hex>") of this process's RouDi.
std::string roudi_dir_name();
// Stops this process's RouDi and removes what it made (see above). Never
// throws; idempotent.
void stop_roudi() noexcept;

// One mempool: chunks of `chunk_bytes` user payload, `count` of them.
struct Mempool {
  std::size_t chunk_bytes;
  std::size_t count;
};
// The mempools RouDi is configured with: each message size up to
// kMaxMessageBytes fits a pool holding enough chunks for two topics of
// queue_depth(size) plus loans and held chunks.
inline constexpr std::size_t kMaxMessageBytes = 1 << 20;
inline constexpr int kMaxConsumers = 16;
const std::vector<Mempool>& mempool_plan();
// Subscriber queue depth for messages of `bytes` (capacity_bytes 0: ~8 MiB
// per queue, 4..256 messages; else capacity_bytes / bytes), capped so that
// the chunks always exist in the pool that serves `bytes`.
std::size_t queue_depth(std::size_t bytes, std::size_t capacity_bytes);

}  // namespace ipcb::transports::iceoryx
