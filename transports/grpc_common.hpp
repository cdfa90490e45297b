// Shared code of the gRPC transports (grpc_unary.cpp, grpc_stream.cpp):
// the address each side uses, the token, the completion-queue wait, and the
// Transport that puts a client (the driver) and a server (the peer)
// together. Only the files of the ipcb_grpc library include it (gRPC's
// headers are heavy).
//
// Contract. The peer is the gRPC server, the driver the client. Unix: the
// server listens on "unix:<Config::dir>/grpc.sock" (the private 0700
// directory); the driver's teardown() removes the file. TCP: the driver
// reserves an ephemeral port on 127.0.0.1 in prepare() (a bound, never
// listening socket with SO_REUSEPORT, held until teardown(): no other user
// can take the port), hands it off, and the peer's server listens on it
// (gRPC sets SO_REUSEPORT too); gRPC sets TCP_NODELAY itself. Across hosts
// (Config::peer_listens(), TCP only): the peer's prepare() starts its server
// on Config::listen_address, port 0 (gRPC reports the port bound), and hands
// off that port and the token; the driver's client connects to
// Config::remote_host at that port. Every call
// carries a 16-byte random token (metadata "ipcb-token", handed over
// privately at spawn); the server refuses any other call with
// UNAUTHENTICATED and goes on serving. Both sides poll their own
// completion queue from the thread that sends and receives (gRPC's async
// API: no handoff to a gRPC thread): block waits in AsyncNext (100 ms
// slices, to notice the harness's cancellation), spin polls it with a zero
// deadline (one non-blocking epoll_wait per poll). The server makes
// progress only while the peer polls (in its recv/send): the driver's
// connect() only starts connecting, and the first call, in the warm-up,
// waits for the connection (wait_for_ready). Both sides' message
// size limits are set to Config::max_message_bytes plus the protobuf
// framing (recorded). Copies per message: on the sender, into the reused
// protobuf message (ours) and its serialization into gRPC's slices; on the
// receiver, gRPC's parse into the reused message and the copy out into the
// caller's buffer (ours); plus the kernel's two.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "grpc_bench.grpc.pb.h"
#include "sys/fd.hpp"
#include "transports/registry.hpp"

namespace ipcb::transports::grpc_ipc {

inline constexpr const char* kTokenKey = "ipcb-token";

// One asynchronous operation: its tag on a completion queue.
struct Op {
  bool pending = false;
  bool ok = false;
  int slot = -1;         // the server's call slot it belongs to (-1: none)
  bool arrival = false;  // the server's "a call arrived"
};

// What both sides apply.
struct Settings {
  std::string name;     // the transport's name, for errors
  std::string address;  // "unix:/dir/grpc.sock" or "127.0.0.1:<port>"
  std::string token;    // hex
  int max_message_bytes = 0;
  Wait wait = Wait::kBlock;
  std::string what() const { return name + "(" + address + ")"; }
};

// A side's completion queue, waited on as Settings::wait says.
class Queue {
 public:
  Queue(grpc::CompletionQueue* cq, const Settings& s);
  // The next event's op, its ok set and pending cleared. Throws Cancelled
  // once the harness cancelled the run.
  Op& next();

 private:
  grpc::CompletionQueue* cq_;
  bool spin_;
  std::string what_;
};

// "UNAUTHENTICATED: <message>".
std::string status_text(const grpc::Status& s);
// The payload of `m` into `out` (size checked against n).
void copy_out(const ipcbgrpc::Payload& m, std::byte* out, std::size_t n,
              const Settings& s);
inline void copy_in(ipcbgrpc::Payload& m, const std::byte* d, std::size_t n) {
  m.mutable_data()->assign(reinterpret_cast<const char*>(d), n);
}

// Shuts `cq` down and takes back every tag still in flight (each comes
// back once, ok false), so that what they point to may be destroyed.
void drain(grpc::CompletionQueue& cq) noexcept;

// The driver's side: a client over one channel, with its own queue.
class Client {
 public:
  Client(std::unique_ptr<ipcbgrpc::Bench::Stub> stub, const Settings& s)
      : stub_(std::move(stub)), s_(s), queue_(&cq_, s_) {}
  virtual ~Client() = default;
  virtual void send(const std::byte* d, std::size_t n) = 0;
  virtual void recv(std::byte* d, std::size_t n) = 0;
  // Cancels what is in flight and drains the queue. Never throws.
  virtual void close() noexcept = 0;

 protected:
  void wait(Op& op) {
    while (op.pending) queue_.next();
  }

  std::unique_ptr<ipcbgrpc::Bench::Stub> stub_;
  Settings s_;
  grpc::CompletionQueue cq_;
  Queue queue_;
};
using ClientFactory = std::unique_ptr<Client> (*)(
    std::unique_ptr<ipcbgrpc::Bench::Stub>, const Settings&);

class Server;  // grpc_server.hpp

// What a transport's server accepts: its methods ("/ipcbgrpc.Bench/Call"),
// and whether the peer's reply ends the call (unary, upload) or not.
struct ServerMode {
  std::vector<std::string> methods;
  bool reply_ends_call = true;
};

class GrpcTransport final : public Transport {
 public:
  GrpcTransport(const Config& c, std::string name, bool tcp, ServerMode mode,
                ClientFactory make_client);
  ~GrpcTransport() override;

  void prepare() override;
  nlohmann::json handoff() const override;
  void adopt(const nlohmann::json& h) override;
  void connect(Role role) override;
  void send(const std::byte* d, std::size_t n) override;
  void recv(std::byte* d, std::size_t n) override;
  void teardown() noexcept override;
  std::map<std::string, std::int64_t> applied_settings() const override;
  std::vector<int> own_threads() const override;
  Capacity capacity() const override;

 private:
  void connect_client();
  void close() noexcept;

  Settings s_;
  bool tcp_;
  std::string dir_;
  ServerMode mode_;
  ClientFactory make_client_;
  bool listens_;                  // across hosts: the peer's prepare() serves
  std::string listen_host_;       // across hosts: the peer's address
  std::string remote_host_;       // across hosts: the driver's target host
  std::string scheme_ = "ipv4:";  // TCP: the client's target scheme
  sys::Fd reserved_;              // TCP: the driver's hold on the port
  std::string path_;              // unix: the socket file
  std::unique_ptr<Client> client_;
  std::unique_ptr<Server> server_;
};

// A registry entry for one of the four transports.
TransportInfo grpc_info(std::string name, std::string description, bool tcp,
                        ServerMode mode, ClientFactory make_client,
                        std::string limits);

}  // namespace ipcb::transports::grpc_ipc
