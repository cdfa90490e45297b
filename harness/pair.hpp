// Pair: the driver's handle on one peer process for one benchmark run.
//
// Contract. The constructor prepares the transport, starts the peer by fork +
// exec of the ipcbench executable in peer mode (pinned, with the transport's
// descriptors inherited, PR_SET_PDEATHSIG so it never outlives the driver),
// and hands it the setup over the control channel. A watchdog thread then
// supervises the peer: if it exits early, crashes, or the run exceeds the
// timeout (the peer is then killed), the watchdog cancels the driver's
// blocking calls (cancel token + SIGUSR1, installed without SA_RESTART) so
// the driver never blocks forever. start_gate(), wait_warm() and finish()
// meet the peer on the control channel, never on the transport under
// test; a fan-in producer's timed part is released by a ReleaseGate
// (harness/release.hpp) shared by all producers, whose eventfd it inherits. The
// destructor kills a peer that is still alive, tears the transport down and
// resets the process-wide cancel token; a watchdog whose peer is gone
// re-asserts the token every time it signals, so with several pairs at once a
// reset by one pair never strands another's driver.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "harness/control.hpp"
#include "sys/fd.hpp"
#include "transports/transport.hpp"

namespace ipcb::harness {

struct PeerSpec {
  std::string executable;  // path of the ipcbench binary
  std::string transport;
  transports::Config config;
  nlohmann::json job;  // scenario parameters, handed to the peer as is
  int peer_cpu = -1;   // -1: the process's initial affinity mask
  std::chrono::milliseconds timeout{60000};
  std::string fault;  // test-only fault injection, e.g. "crash@run:10"
  // Fan-in: the transport was prepared for an earlier producer's Pair; this
  // one only spawns another peer on it.
  bool transport_prepared = false;
  // Fan-in: the eventfd of the ReleaseGate the peer waits on after its
  // warm-up (kept open across exec); -1: none.
  int release_fd = -1;
};

// Starts `executable --peer --peer-ctl-fd=<ctl_fd>` by fork + exec: the
// child keeps `ctl_fd` and `keep` across exec (every other descriptor is
// close-on-exec), dies with its parent (PR_SET_PDEATHSIG), runs on `cpu`
// (-1: the initial affinity mask) with no signal blocked. The caller owns
// the child: reap it (waitpid) when the pidfd becomes readable.
struct SpawnedPeer {
  pid_t pid = -1;
  sys::Fd pidfd;
};
SpawnedPeer spawn_peer(const std::string& executable, int ctl_fd,
                       std::vector<int> keep, int cpu);
// "exited with status 3", "was killed by signal 9 (KILL)".
std::string exit_status_text(int status);

// Installs the no-op SIGUSR1 handler (no SA_RESTART) used to interrupt
// blocking calls, and ignores SIGPIPE. Idempotent.
void install_driver_signals();

class Pair {
 public:
  Pair(const PeerSpec& spec, transports::Transport& transport);
  ~Pair();
  Pair(const Pair&) = delete;
  Pair& operator=(const Pair&) = delete;

  void set_phase(const char* phase) { phase_.store(phase); }
  // Waits for the peer's "ready" (its side is connected), then says "go".
  void start_gate();
  // Fan-in: waits for the peer's "warm" (its warm-up messages are sent);
  // the peer then waits on the release gate of PeerSpec::release_fd.
  void wait_warm();
  // Waits for the peer's final report, then lets it exit and reaps it.
  nlohmann::json finish();
  // After the driver caught `e`: the root cause (the peer's own error, its
  // exit status or signal, a timeout, or e), naming the phase.
  std::string explain_failure(const std::exception& e);

  const nlohmann::json& ready_message() const { return ready_; }
  pid_t peer_pid() const { return pid_; }

 private:
  void spawn(const PeerSpec& spec, sys::Fd peer_end);
  void watch();
  void stop_watchdog() noexcept;
  void reap(int wait_ms) noexcept;
  nlohmann::json expect(const char* type);
  std::string status_text() const;

  transports::Transport& transport_;
  Control ctl_;
  pid_t pid_ = -1;
  sys::Fd pidfd_;
  sys::Fd stop_fd_;
  std::thread watchdog_;
  pthread_t main_thread_;
  std::chrono::milliseconds timeout_;
  std::atomic<bool> reaped_{false};
  int status_ = 0;
  std::atomic<bool> timed_out_{false};
  std::atomic<const char*> phase_{"spawn"};
  nlohmann::json ready_;
  std::string peer_error_;  // the peer's own "error" message, once read
};

}  // namespace ipcb::harness
