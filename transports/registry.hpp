// Registry of transports by name. Adding a transport: write its file, declare
// its entry function below, add one line to registry.cpp.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "transports/transport.hpp"

namespace ipcb::transports {

struct TransportInfo {
  std::string name;
  std::string description;
  Capabilities caps;
  std::function<std::unique_ptr<Transport>(const Config&)> create;
  // Empty when the transport can run on this machine, else the reason.
  std::function<std::optional<std::string>()> unavailable_reason;
};

// Every registered transport, in listing order.
const std::vector<TransportInfo>& all_transports();
// nullptr when no transport has that name.
const TransportInfo* find_transport(const std::string& name);
// Throws std::invalid_argument naming the accepted names.
std::unique_ptr<Transport> create_transport(const std::string& name,
                                            const Config& config);

// Entry points, one per transport file.
TransportInfo pipe_transport();
TransportInfo fifo_transport();
TransportInfo unix_stream_transport();
TransportInfo tcp_transport();
TransportInfo posix_mq_transport();
TransportInfo sysv_mq_transport();
TransportInfo bipc_mq_transport();
TransportInfo unix_dgram_transport();
TransportInfo unix_seqpacket_transport();
TransportInfo udp_transport();
TransportInfo zmq_ipc_transport();
TransportInfo zmq_tcp_transport();
TransportInfo shm_sem_transport();
TransportInfo shm_sysv_transport();
TransportInfo shm_mutex_transport();
TransportInfo mmap_file_transport();
TransportInfo bipc_shm_transport();
TransportInfo eventfd_transport();
TransportInfo signal_transport();
TransportInfo shm_ring_transport();
TransportInfo inproc_transport();
TransportInfo iceoryx_transport();
TransportInfo redis_list_transport();
TransportInfo redis_pubsub_transport();
TransportInfo redis_stream_transport();
TransportInfo nats_pubsub_transport();
TransportInfo nats_request_transport();
TransportInfo grpc_unary_transport();
TransportInfo grpc_stream_transport();
TransportInfo grpc_unary_tcp_transport();
TransportInfo grpc_stream_tcp_transport();

}  // namespace ipcb::transports
