#include "bench/peer_link.hpp"

#include "bench/thread_peer.hpp"

namespace ipcb::bench {

namespace {

// A peer process.
class ProcessPeer final : public PeerLink {
 public:
  ProcessPeer(const harness::PeerSpec& spec, transports::Transport& t)
      : pair_(spec, t) {}
  void start_gate() override { pair_.start_gate(); }
  void wait_warm() override { pair_.wait_warm(); }
  nlohmann::json finish() override { return pair_.finish(); }
  std::string explain_failure(const std::exception& e) override {
    return pair_.explain_failure(e);
  }

 private:
  harness::Pair pair_;
};

}  // namespace

std::unique_ptr<PeerLink> start_peer(const harness::PeerSpec& spec,
                                     const Job& job, transports::Transport& t,
                                     bool in_process) {
  if (!in_process) return std::make_unique<ProcessPeer>(spec, t);
  if (!spec.transport_prepared) t.prepare();
  return std::make_unique<ThreadPeer>(spec.transport, spec.config, t.handoff(),
                                      job, spec.peer_cpu, spec.timeout);
}

}  // namespace ipcb::bench
