// grpc_unary, grpc_unary_tcp: gRPC calls over a Unix socket in the private
// directory, or over TCP on 127.0.0.1 (transports/grpc_common.hpp: address,
// token, waits, copies; grpc_server.hpp: the peer's server). The driver is
// the client, the peer the server.
//
// Each ping-pong round trip is one unary call (Bench.Call): the driver's
// send() keeps the message, its recv() makes the call (request, reply). A
// burst of messages before a reply (stream, rate: messages back to back,
// then the peer's 1-byte confirmation) is one client-streaming call
// (Bench.Upload) whose single reply is that confirmation. The client tells
// the two apart by the second send() before a recv(): that send opens the
// upload and writes both messages; and once an exchange was a burst the
// next one opens its upload at its first send(), so that no message of the
// timed phase waits for the next (the warm-up, at least 10 messages, is
// the first burst). Per call gRPC needs a new ClientContext (ours, kept in
// place, no allocation of our own) and its own call objects (gRPC's arena).
// Limits: message size as configured (both sides' limits set to it plus
// the framing); HTTP/2 flow control and the kernel's socket buffers
// (net.core.wmem_default, net.ipv4.tcp_wmem) as the OS and gRPC size them.
#include <stdexcept>

#include "transports/grpc_common.hpp"

namespace ipcb::transports {

namespace grpc_ipc {
namespace {

class UnaryClient final : public Client {
 public:
  UnaryClient(std::unique_ptr<ipcbgrpc::Bench::Stub> stub, const Settings& s)
      : Client(std::move(stub), s) {}

  void send(const std::byte* d, std::size_t n) override {
    if (!upload_ && !held_ && !burst_) {  // a unary call, made by recv()
      copy_in(req_, d, n);
      held_ = true;
      return;
    }
    if (!upload_) open_upload();
    if (held_) write();  // the burst's first message
    held_ = false;
    wait_write();
    copy_in(req_, d, n);
    write();
  }

  void recv(std::byte* d, std::size_t n) override {
    if (held_) {
      unary();
    } else {
      if (!upload_) open_upload();  // a reply with no message before it
      finish_upload();
    }
    if (!status_.ok()) {
      throw std::runtime_error(s_.what() +
                               ": the call failed: " + status_text(status_));
    }
    copy_out(resp_, d, n, s_);
  }

  void close() noexcept override {
    if (ctx_) ctx_->TryCancel();
    drain(cq_);
    upload_.reset();
    call_.reset();
    ctx_.reset();
  }

 private:
  void new_context() {
    ctx_.emplace();
    ctx_->set_wait_for_ready(true);  // the first call may precede the server
    ctx_->AddMetadata(kTokenKey, s_.token);
  }

  void unary() {
    held_ = burst_ = false;
    new_context();
    call_ = stub_->AsyncCall(&*ctx_, req_, &cq_);
    call_->Finish(&resp_, &status_, &finish_);
    finish_.pending = true;
    wait(finish_);
  }

  void open_upload() {
    new_context();
    upload_ = stub_->AsyncUpload(&*ctx_, &resp_, &cq_, &start_);
    start_.pending = true;
    wait(start_);
    messages_ = 0;
    write_.ok = start_.ok;
  }

  void write() {
    wait_write();
    if (!write_.ok) return;  // the call ended: finish_upload() says why
    upload_->Write(req_, &write_);
    write_.pending = true;
    ++messages_;
  }

  void wait_write() {
    wait(write_);
    if (!write_.ok) {
      finish_upload();
      throw std::runtime_error(
          s_.what() + ": the upload ended early: " + status_text(status_));
    }
  }

  void finish_upload() {
    wait(write_);
    if (write_.ok) {
      upload_->WritesDone(&done_);
      done_.pending = true;
    }
    upload_->Finish(&status_, &finish_);
    finish_.pending = true;
    wait(done_);
    wait(finish_);
    upload_.reset();
    burst_ = messages_ > 1;
  }

  ipcbgrpc::Payload req_, resp_;  // reused for every call
  grpc::Status status_;
  std::optional<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<ipcbgrpc::Payload>> call_;
  std::unique_ptr<grpc::ClientAsyncWriter<ipcbgrpc::Payload>> upload_;
  Op start_, write_, done_, finish_;
  bool held_ = false;          // req_ holds a message not sent yet
  bool burst_ = false;         // the last exchange was a burst
  std::int64_t messages_ = 0;  // written on the open upload
};

std::unique_ptr<Client> make_unary_client(
    std::unique_ptr<ipcbgrpc::Bench::Stub> stub, const Settings& s) {
  return std::make_unique<UnaryClient>(std::move(stub), s);
}

ServerMode unary_mode() {
  return {{"/ipcbgrpc.Bench/Call", "/ipcbgrpc.Bench/Upload"}, true};
}

constexpr const char* kUnaryLimits =
    "one unary call per round trip, one client-streaming call per burst; "
    "size limits set to the message size plus framing (recorded)";

}  // namespace
}  // namespace grpc_ipc

TransportInfo grpc_unary_transport() {
  return grpc_ipc::grpc_info(
      "grpc_unary",
      "gRPC unary calls (bursts: client streaming) over a Unix socket", false,
      grpc_ipc::unary_mode(), grpc_ipc::make_unary_client,
      grpc_ipc::kUnaryLimits);
}

TransportInfo grpc_unary_tcp_transport() {
  return grpc_ipc::grpc_info(
      "grpc_unary_tcp",
      "gRPC unary calls (bursts: client streaming) over TCP 127.0.0.1", true,
      grpc_ipc::unary_mode(), grpc_ipc::make_unary_client,
      std::string(grpc_ipc::kUnaryLimits) +
          "; 127.0.0.1 (or --remote's host); TCP_NODELAY");
}

}  // namespace ipcb::transports
