// grpc_stream, grpc_stream_tcp: one bidirectional gRPC stream
// (Bench.Exchange) for the whole run, over a Unix socket in the private
// directory or over TCP on 127.0.0.1 (transports/grpc_common.hpp: address,
// token, waits, copies; grpc_server.hpp: the peer's server). The driver
// opens the call at its first send() or recv(); each send() is one stream Write
// (gRPC serializes the message at once, so send() returns while gRPC writes it,
// and the next send() or recv() first waits for that write to complete),
// each recv() one Read. The peer's replies are written with write-through.
// Limits: message size as configured (both sides' limits set to it plus
// the framing); HTTP/2 flow control (its windows grown by gRPC's BDP probe)
// and the kernel's socket buffers as the OS and gRPC size them.
#include <stdexcept>

#include "transports/grpc_common.hpp"

namespace ipcb::transports {

namespace grpc_ipc {
namespace {

class StreamClient final : public Client {
 public:
  StreamClient(std::unique_ptr<ipcbgrpc::Bench::Stub> stub, const Settings& s)
      : Client(std::move(stub), s) {}

  void send(const std::byte* d, std::size_t n) override {
    if (!stream_) open();
    wait(write_);
    if (!write_.ok) fail("a write failed");
    copy_in(req_, d, n);
    stream_->Write(req_, &write_);
    write_.pending = true;
  }

  void recv(std::byte* d, std::size_t n) override {
    if (!stream_) open();
    stream_->Read(&resp_, &read_);
    read_.pending = true;
    wait(read_);
    if (!read_.ok) fail("the stream ended");
    copy_out(resp_, d, n, s_);
  }

  void close() noexcept override {
    if (stream_) ctx_.TryCancel();
    drain(cq_);
    stream_.reset();
  }

 private:
  // Opened at the first send or recv, when the peer polls its queue: the
  // call waits for the connection (wait_for_ready).
  void open() {
    ctx_.set_wait_for_ready(true);
    ctx_.AddMetadata(kTokenKey, s_.token);
    stream_ = stub_->AsyncExchange(&ctx_, &cq_, &start_);
    start_.pending = true;
    wait(start_);
    if (!start_.ok) fail("the stream did not open");
    write_.ok = true;
  }

  // The call's status, which says why it ended.
  [[noreturn]] void fail(const char* what) {
    wait(write_);
    wait(read_);
    grpc::Status status;
    Op finish;
    stream_->Finish(&status, &finish);
    finish.pending = true;
    wait(finish);
    throw std::runtime_error(s_.what() + ": " + what + ": " +
                             status_text(status));
  }

  grpc::ClientContext ctx_;
  std::unique_ptr<
      grpc::ClientAsyncReaderWriter<ipcbgrpc::Payload, ipcbgrpc::Payload>>
      stream_;
  ipcbgrpc::Payload req_, resp_;  // reused for every message
  Op start_, write_, read_;
};

std::unique_ptr<Client> make_stream_client(
    std::unique_ptr<ipcbgrpc::Bench::Stub> stub, const Settings& s) {
  return std::make_unique<StreamClient>(std::move(stub), s);
}

ServerMode stream_mode() { return {{"/ipcbgrpc.Bench/Exchange"}, false}; }

constexpr const char* kStreamLimits =
    "one bidirectional stream for the run; size limits set to the message "
    "size plus framing (recorded)";

}  // namespace
}  // namespace grpc_ipc

TransportInfo grpc_stream_transport() {
  return grpc_ipc::grpc_info(
      "grpc_stream", "gRPC bidirectional stream over a Unix socket", false,
      grpc_ipc::stream_mode(), grpc_ipc::make_stream_client,
      grpc_ipc::kStreamLimits);
}

TransportInfo grpc_stream_tcp_transport() {
  return grpc_ipc::grpc_info(
      "grpc_stream_tcp", "gRPC bidirectional stream over TCP 127.0.0.1", true,
      grpc_ipc::stream_mode(), grpc_ipc::make_stream_client,
      std::string(grpc_ipc::kStreamLimits) +
          "; 127.0.0.1 (or --remote's host); TCP_NODELAY");
}

}  // namespace ipcb::transports
