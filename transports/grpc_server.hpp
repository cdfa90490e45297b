// The peer's side of the gRPC transports: an async server whose calls are
// served through gRPC's generic API (grpc::AsyncGenericService), so that
// every reply is written with write-through (WriteOptions), and send()
// returns only once the reply is in the kernel: a peer blocked elsewhere
// after its last reply (the harness's control channel) leaves nothing for
// gRPC to flush. The payloads are the same protobuf messages the client's
// generated stub sends.
//
// Contract. The peer's recv() reads the next message of the current call,
// waiting for a call to arrive when there is none; send() replies: in the
// unary mode the reply ends the call (a unary call, or an upload's single
// reply), in the stream mode it is one more message of the call. A call
// that does not carry the token, or names a method of the other mode, is
// refused at once (UNAUTHENTICATED, UNIMPLEMENTED) and serving goes on; so
// is a second call while one is in progress (FAILED_PRECONDITION).
#pragma once

#include <grpcpp/generic/async_generic_service.h>

#include <array>

#include "transports/grpc_common.hpp"

namespace ipcb::transports::grpc_ipc {

class Server {
 public:
  Server(const Settings& s, ServerMode mode);
  ~Server();
  void recv(std::byte* d, std::size_t n);
  void send(const std::byte* d, std::size_t n);
  int port() const { return port_; }  // TCP: the port it listens on

 private:
  enum class State { kFree, kRequested, kReady, kActive, kClosing };
  struct Slot {
    std::optional<grpc::GenericServerContext> ctx;
    std::optional<grpc::GenericServerAsyncReaderWriter> stream;
    Op arrive, io;
    State state = State::kFree;
  };

  Slot& active();
  void wait(Op& op);
  void handle(Op& op);
  void arrived(int i);
  void refuse(Slot& slot, grpc::StatusCode code, const std::string& why);
  void replenish();

  Settings s_;
  ServerMode mode_;
  grpc::AsyncGenericService generic_;
  std::unique_ptr<grpc::ServerCompletionQueue> cq_;
  std::unique_ptr<grpc::Server> server_;
  std::optional<Queue> queue_;
  std::array<Slot, 4> slots_;
  int active_ = -1, ready_ = -1;
  int port_ = 0;
  grpc::ByteBuffer in_, out_;
  ipcbgrpc::Payload msg_;  // reused for every message both ways
};

}  // namespace ipcb::transports::grpc_ipc
