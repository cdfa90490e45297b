#include "transports/registry.hpp"

#include <stdexcept>

namespace ipcb::transports {

const char* to_string(Wait w) { return w == Wait::kSpin ? "spin" : "block"; }

Wait parse_wait(const std::string& s) {
  if (s == "spin") return Wait::kSpin;
  if (s == "block") return Wait::kBlock;
  throw std::invalid_argument("unknown wait strategy '" + s +
                              "' (accepted: spin, block)");
}

const std::vector<TransportInfo>& all_transports() {
  // One transport per line (keeps additions from different branches apart).
  // clang-format off
  static const std::vector<TransportInfo> kAll = {
      pipe_transport(),
      fifo_transport(),
      unix_stream_transport(),
      tcp_transport(),
      unix_dgram_transport(),
      unix_seqpacket_transport(),
      udp_transport(),
      posix_mq_transport(),
      sysv_mq_transport(),
      bipc_mq_transport(),
      // Shared memory: the lock-free reference, then the mailboxes
      // (payload region + notification, mailbox.hpp).
      shm_ring_transport(),
      inproc_transport(),
      shm_sem_transport(),
      shm_sysv_transport(),
      shm_mutex_transport(),
      mmap_file_transport(),
      bipc_shm_transport(),
      eventfd_transport(),
      signal_transport(),
      zmq_ipc_transport(),
      zmq_tcp_transport(),
      iceoryx_transport(),
      redis_list_transport(),
      redis_pubsub_transport(),
      redis_stream_transport(),
      nats_pubsub_transport(),
      nats_request_transport(),
      grpc_unary_transport(),
      grpc_stream_transport(),
      grpc_unary_tcp_transport(),
      grpc_stream_tcp_transport(),
  };
  // clang-format on
  return kAll;
}

const TransportInfo* find_transport(const std::string& name) {
  for (const auto& t : all_transports()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::unique_ptr<Transport> create_transport(const std::string& name,
                                            const Config& config) {
  const TransportInfo* info = find_transport(name);
  if (info == nullptr) {
    std::string names;
    for (const auto& t : all_transports()) {
      if (!names.empty()) names += ", ";
      names += t.name;
    }
    throw std::invalid_argument("unknown transport '" + name +
                                "' (accepted: " + names + ")");
  }
  return info->create(config);
}

}  // namespace ipcb::transports
