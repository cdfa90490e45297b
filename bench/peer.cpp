#include "bench/peer.hpp"

#include <sched.h>
#include <signal.h>

#include "bench/scenario.hpp"
#include "harness/control.hpp"
#include "harness/malloc_policy.hpp"
#include "harness/release.hpp"
#include "sys/fd.hpp"
#include "transports/registry.hpp"

namespace ipcb::bench {

namespace {
transports::Config config_from(const nlohmann::json& j) {
  transports::Config c;
  c.max_message_bytes = j.at("max_message_bytes").get<std::size_t>();
  c.wait = transports::parse_wait(j.at("wait").get<std::string>());
  c.dir = j.at("dir").get<std::string>();
  c.name_prefix = j.at("name_prefix").get<std::string>();
  c.producers = j.value("producers", 0);
  c.consumers = j.value("consumers", 0);
  c.capacity_bytes = j.value("capacity_bytes", std::size_t{0});
  c.listen_address = j.value("listen_address", "");
  return c;
}
}  // namespace

int run_peer(int ctl_fd) {
  ::signal(SIGPIPE, SIG_IGN);
  harness::Control ctl{sys::Fd(ctl_fd)};
  const char* phase = "setup";
  try {
    nlohmann::json setup = ctl.recv();
    Job job = Job::from_json(setup.at("job"));
    // The driver's malloc policy, before this side's transport exists.
    const auto policy = harness::parse_malloc_policy(job.malloc);
    if (!policy)
      throw std::runtime_error("unknown malloc policy " + job.malloc);
    const bool steady = harness::apply_malloc_policy(*policy).empty() &&
                        *policy == harness::MallocPolicy::kSteady;
    Fault fault = Fault::parse(setup.value("fault", ""));
    const transports::Config config = config_from(setup.at("config"));
    auto t = transports::create_transport(setup.at("transport"), config);
    // Across hosts the peer's side listens: it prepares (and tears down)
    // the transport, and its handoff goes to the driver.
    struct Teardown {
      transports::Transport* t = nullptr;
      ~Teardown() {
        if (t) t->teardown();
      }
    } teardown;
    if (config.peer_listens()) {
      phase = "prepare";
      t->prepare();
      teardown.t = t.get();
      ctl.send({{"type", "listening"}, {"handoff", t->handoff()}});
    } else {
      t->adopt(setup.at("handoff"));
    }
    phase = "connect";
    if (fault.armed_for("connect")) fault.fire();
    t->connect(transports::Role::kPeer);
    ctl.send({{"type", "ready"}, {"cpu", ::sched_getcpu()}});
    phase = "start gate";
    if (ctl.recv().value("type", "") != "go") throw std::runtime_error("no go");
    phase = "run";
    // Fan-in producers say when their warm-up is sent, then wait with all
    // the others on the one release gate.
    const int release_fd = setup.value("release_fd", -1);
    auto warm_gate = [&] {
      phase = "warm-up gate";
      ctl.send({{"type", "warm"}});
      if (release_fd < 0) throw std::runtime_error("no release gate");
      harness::ReleaseGate::wait(release_fd);
      phase = "run";
    };
    nlohmann::json done = serve(*t, job, fault, warm_gate);
    done["type"] = "done";
    // What this side's malloc did: steady only where it was applied.
    done["malloc"] = steady ? "steady" : "glibc";
    done["cpu"] = ::sched_getcpu();
    phase = "finish";
    ctl.send(done);
    (void)ctl.poll_recv(-1);  // "bye", or the driver closed the channel
    return 0;
  } catch (const std::exception& e) {
    try {
      ctl.send(
          {{"type", "error"}, {"what", std::string(phase) + ": " + e.what()}});
    } catch (...) {
    }
    return 1;
  }
}

}  // namespace ipcb::bench
