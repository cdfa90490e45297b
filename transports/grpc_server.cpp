#include "transports/grpc_server.hpp"

#include <algorithm>
#include <stdexcept>

namespace ipcb::transports::grpc_ipc {

Server::Server(const Settings& s, ServerMode mode)
    : s_(s), mode_(std::move(mode)) {
  grpc::ServerBuilder b;
  b.AddListeningPort(s_.address, grpc::InsecureServerCredentials(), &port_);
  b.SetMaxReceiveMessageSize(s_.max_message_bytes);
  b.SetMaxSendMessageSize(s_.max_message_bytes);
  b.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 1);  // the driver's hold
  b.RegisterAsyncGenericService(&generic_);
  cq_ = b.AddCompletionQueue();
  server_ = b.BuildAndStart();
  if (!server_ || port_ == 0) {
    throw std::runtime_error(
        s_.what() +
        ": the gRPC server could not listen there (see gRPC's log line "
        "above; is the address in use?)");
  }
  queue_.emplace(cq_.get(), s_);
  for (int i = 0; i < static_cast<int>(slots_.size()); ++i) {
    slots_[i].arrive.slot = slots_[i].io.slot = i;
    slots_[i].arrive.arrival = true;
  }
  replenish();
}

Server::~Server() {
  // Cancels every call still in flight, then takes their tags back.
  server_->Shutdown(std::chrono::system_clock::now());
  drain(*cq_);
}

void Server::recv(std::byte* d, std::size_t n) {
  Slot& slot = active();
  slot.stream->Read(&in_, &slot.io);
  slot.io.pending = true;
  wait(slot.io);
  if (!slot.io.ok) {
    throw std::runtime_error(
        s_.what() +
        ": the client ended its call before sending the message the peer "
        "waits for (the driver is gone, or sent fewer messages)");
  }
  const grpc::Status st =
      grpc::SerializationTraits<ipcbgrpc::Payload>::Deserialize(&in_, &msg_);
  if (!st.ok()) {
    throw std::runtime_error(s_.what() +
                             ": a message did not parse: " + status_text(st));
  }
  copy_out(msg_, d, n, s_);
}

void Server::send(const std::byte* d, std::size_t n) {
  Slot& slot = active();
  copy_in(msg_, d, n);
  bool own = false;
  out_.Clear();  // the last reply's slices (gRPC holds its own reference)
  const grpc::Status st =
      grpc::SerializationTraits<ipcbgrpc::Payload>::Serialize(msg_, &out_,
                                                              &own);
  if (!st.ok()) throw std::runtime_error(s_.what() + ": " + status_text(st));
  const auto through = grpc::WriteOptions().set_write_through();
  if (mode_.reply_ends_call) {
    slot.stream->WriteAndFinish(out_, through, grpc::Status::OK, &slot.io);
    slot.state = State::kClosing;
    active_ = -1;
  } else {
    slot.stream->Write(out_, through, &slot.io);
  }
  slot.io.pending = true;
  wait(slot.io);
  if (!slot.io.ok) {
    throw std::runtime_error(s_.what() +
                             ": the reply could not be sent (the client "
                             "cancelled the call or is gone)");
  }
}

Server::Slot& Server::active() {
  while (active_ < 0) {
    if (ready_ >= 0) {
      active_ = std::exchange(ready_, -1);
      slots_[active_].state = State::kActive;
      break;
    }
    handle(queue_->next());
  }
  return slots_[active_];
}

void Server::wait(Op& op) {
  while (op.pending) handle(queue_->next());
}

void Server::handle(Op& op) {
  Slot& slot = slots_[op.slot];
  if (op.arrival) {
    arrived(op.slot);
  } else if (slot.state == State::kClosing) {
    slot.state = State::kFree;  // its final status went out (or failed)
  }
  replenish();
}

void Server::arrived(int i) {
  Slot& slot = slots_[i];
  if (!slot.arrive.ok) {  // the server is shutting down
    slot.state = State::kFree;
    return;
  }
  const auto& md = slot.ctx->client_metadata();
  const auto token = md.find(kTokenKey);
  const std::string& method = slot.ctx->method();
  if (token == md.end() || std::string_view(token->second.data(),
                                            token->second.size()) != s_.token) {
    refuse(slot, grpc::StatusCode::UNAUTHENTICATED,
           "this call did not present the ipcbench run's token");
  } else if (std::find(mode_.methods.begin(), mode_.methods.end(), method) ==
             mode_.methods.end()) {
    refuse(slot, grpc::StatusCode::UNIMPLEMENTED,
           method + " is not served by " + s_.name);
  } else if (active_ >= 0 || ready_ >= 0) {
    refuse(slot, grpc::StatusCode::FAILED_PRECONDITION,
           "another call is in progress");
  } else {
    slot.state = State::kReady;
    ready_ = i;
  }
}

void Server::refuse(Slot& slot, grpc::StatusCode code, const std::string& why) {
  slot.stream->Finish(grpc::Status(code, s_.name + ": " + why), &slot.io);
  slot.io.pending = true;
  slot.state = State::kClosing;
}

// Keeps one call requested: a slot whose call ended is ready for the next.
void Server::replenish() {
  for (const Slot& slot : slots_) {
    if (slot.state == State::kRequested) return;
  }
  for (Slot& slot : slots_) {
    if (slot.state != State::kFree) continue;
    slot.stream.reset();
    slot.ctx.emplace();
    slot.stream.emplace(&*slot.ctx);
    generic_.RequestCall(&*slot.ctx, &*slot.stream, cq_.get(), cq_.get(),
                         &slot.arrive);
    slot.arrive.pending = true;
    slot.state = State::kRequested;
    return;
  }
}

}  // namespace ipcb::transports::grpc_ipc
