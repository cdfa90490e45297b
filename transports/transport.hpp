// The one seam between the harness and an IPC mechanism.
//
// Contract. A Transport moves whole messages of up to Config::max_message_bytes
// between two processes, the driver (which created it) and the peer (started
// by the harness). Lifecycle:
//   driver: prepare() -> [peer spawned, gets handoff()] -> connect(kDriver)
//   peer:   adopt(handoff) -> connect(kPeer)
//   both:   send()/recv() whole messages, in the order the scenario dictates
// Across hosts (Config::peer_listens()): the peer prepares and hands off,
// the driver adopts and connects (see Config::listen_address).
// Fan-in (Config::producers > 0, only where Capabilities::fanin_max_bytes
// allows): the driver prepares once, every producer peer adopts the same
// handoff and connects, producers send and the driver receives.
//   driver: teardown() (idempotent, noexcept) unlinks every named object.
// send/recv never return a partial message: stream transports loop, datagram
// and queue transports fragment when the kernel limit is below the size.
// Transports never time anything and never print.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ipcb::transports {

enum class Role { kDriver, kPeer };
enum class Wait { kBlock, kSpin };
// How a transport delivers to several consumers (Config::consumers > 0).
enum class Fanout {
  kNone,      // no fan-out
  kLossless,  // send() waits until every consumer has room: nothing is lost
  kMayDrop,   // send() never waits for a slow consumer, which may then miss
              // messages (whole ones: a message arrives whole or not at all)
};

const char* to_string(Wait w);
Wait parse_wait(const std::string& s);  // throws std::invalid_argument

struct Config {
  std::size_t max_message_bytes = 64;  // largest message that will be sent
  Wait wait = Wait::kBlock;
  std::string dir;          // private 0700 directory for file-system objects
  std::string name_prefix;  // unique, unpredictable prefix for named objects
  // Fan-in: this many peers connect to the one prepared transport and all
  // send to the driver (which then never sends); 0: one two-way peer.
  int producers = 0;
  // Bytes in flight allowed per direction (--capacity=equal): pipe size,
  // socket buffers, queue depth x message size, ring size, ZeroMQ HWM. 0:
  // each mechanism as the OS or library ships it (or, where ipcbench itself
  // sizes it, as ipcbench always did: docs/transports.md lists each).
  std::size_t capacity_bytes = 0;
  // Fan-out: this many peers connect to the one prepared transport and each
  // receives every message the driver sends (the driver never receives);
  // 0: one two-way peer. Only where Capabilities::fanout is not kNone. The
  // driver's connect() returns once every consumer is subscribed, so that
  // the next send() reaches all; a consumer's connect() once its own
  // subscription is in effect.
  int consumers = 0;
  // Across hosts (--remote; only where Capabilities::crosses_hosts): the
  // peer runs on another host and the listening end is the peer's. The
  // peer's prepare() listens on `listen_address` (a port its kernel picks)
  // and its handoff() travels to the driver, whose adopt() and then
  // connect() reach it at `remote_host`. Each side tears its own transport
  // down. Both empty: one machine, the driver prepares as always.
  std::string listen_address{};  // peer side: the address to listen on
  std::string remote_host{};     // driver side: the peer's host
  bool peer_listens() const {
    return !listen_address.empty() || !remote_host.empty();
  }
};

// The bytes in flight per direction that a transport really allows, read
// back from the kernel or library after connect().
struct Capacity {
  // -1: the notion does not apply (or is not adjustable); `reason` says why.
  std::int64_t applied_bytes = -1;
  std::string source;  // how it was read: "F_GETPIPE_SZ", "getsockopt", ...
  std::string reason;  // applied_bytes < 0: why there is no figure
  // Set when applied_bytes is below Config::capacity_bytes: what stopped it
  // ("fs.pipe-max-size = 65536") and what to raise ("sysctl -w ...").
  std::string limit;
  std::string sysctl;
};

struct Capabilities {
  std::size_t max_message_bytes = 0;  // 0: no limit of its own
  bool preserves_boundaries = false;
  std::vector<Wait> waits{Wait::kBlock};
  std::string limits;  // kernel limits and knobs that matter, one line
  // The peer is a thread of the driver's process, not a process (in-process
  // baselines); handoff() may then carry process-local state.
  bool in_process = false;
  // Fan-in: several peers may connect to the one prepared transport and
  // send to the driver at once; a message of up to this many bytes arrives
  // whole, never interleaved with another sender's (one kernel message, a
  // pipe write <= PIPE_BUF, one datagram). 0: no fan-in.
  std::size_t fanin_max_bytes = 0;
  // A tunable kernel limit above which a message is fragmented into several
  // queue messages or datagrams (0: none), and how to raise it; the harness
  // warns when a selected size is above it.
  std::size_t fragment_above_bytes = 0;
  std::string fragment_knob;
  // Fan-out (Config::consumers > 0): whether and how the driver's send()
  // reaches every consumer.
  Fanout fanout = Fanout::kNone;
  // Request/reply (nats_request): each driver send() is a request whose
  // reply the driver's next recv() takes, and the peer sends only replies;
  // only scenarios that alternate so (Scenario::alternates) can use it.
  bool request_reply = false;
  // Has a network form: with Config::listen_address / remote_host set, the
  // peer may run on another host (--remote).
  bool crosses_hosts = false;
};

inline constexpr std::size_t kAnySize = static_cast<std::size_t>(-1);

class Transport {
 public:
  virtual ~Transport() = default;

  // Driver, before the peer exists: create what must be inherited or named.
  virtual void prepare() = 0;
  // Driver: descriptors the peer must inherit across exec.
  virtual std::vector<int> inherited_fds() const { return {}; }
  // Driver: what the peer needs to find the objects (fd numbers, paths, port).
  virtual nlohmann::json handoff() const { return nlohmann::json::object(); }
  // Peer: take over the state the driver handed off.
  virtual void adopt(const nlohmann::json& handoff) { (void)handoff; }
  // Both sides, after the peer started: open ends, pre-fault buffers.
  virtual void connect(Role role) = 0;
  virtual void send(const std::byte* data, std::size_t n) = 0;
  virtual void recv(std::byte* data, std::size_t n) = 0;
  // Driver: remove every named object. Idempotent; never throws.
  virtual void teardown() noexcept = 0;
  // Settings the kernel actually applied (buffer sizes, queue depths).
  virtual std::map<std::string, std::int64_t> applied_settings() const {
    return {};
  }
  // Threads of this process that the transport runs for its own work (such
  // as ZeroMQ's I/O thread): their CPU time is the transport's, counted on
  // the side that uses it. Harness threads are never among them.
  virtual std::vector<int> own_threads() const { return {}; }
  // Driver: processes this transport started for its own work (a broker,
  // RouDi). Their CPU time over the timed phase is recorded as the
  // daemon's, next to the driver's and the peer's.
  virtual std::vector<int> daemon_pids() const { return {}; }
  // Driver, after connect(): the bytes in flight per direction applied.
  virtual Capacity capacity() const {
    Capacity c;
    c.reason = "ipcbench does not size this transport's buffering";
    return c;
  }
};

}  // namespace ipcb::transports
