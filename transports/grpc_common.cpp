#include "transports/grpc_common.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <stdexcept>

#include "sys/cancel.hpp"
#include "sys/checked.hpp"
#include "sys/threads.hpp"
#include "transports/grpc_server.hpp"
#include "transports/net_address.hpp"

namespace ipcb::transports::grpc_ipc {

namespace {
constexpr int kBlockSliceMs = 100;
// A bytes field's framing: its tag and a length of up to 10 varint bytes.
constexpr int kFramingBytes = 16;
// gRPC names the threads it starts (gpr Thread): its timer manager, its
// executors and the event engine's pool.
constexpr std::array<const char*, 5> kThreadPrefixes = {
    "grpc_global_tim", "default-execut", "resolver-execu", "event_engine",
    "timer_manager"};

std::string random_token() {
  std::array<unsigned char, 16> raw{};
  sys::checked("getrandom", "grpc token",
               [&] { return ::getrandom(raw.data(), raw.size(), 0); });
  std::string hex;
  for (unsigned char b : raw) {
    constexpr const char* kDigits = "0123456789abcdef";
    hex += kDigits[b >> 4];
    hex += kDigits[b & 15];
  }
  return hex;
}
}  // namespace

Queue::Queue(grpc::CompletionQueue* cq, const Settings& s)
    : cq_(cq), spin_(s.wait == Wait::kSpin), what_(s.what()) {}

Op& Queue::next() {
  for (;;) {
    void* tag = nullptr;
    bool ok = false;
    const gpr_timespec deadline =
        spin_ ? gpr_time_0(GPR_CLOCK_MONOTONIC)
              : gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                             gpr_time_from_millis(kBlockSliceMs, GPR_TIMESPAN));
    switch (cq_->AsyncNext(&tag, &ok, deadline)) {
      case grpc::CompletionQueue::GOT_EVENT: {
        Op& op = *static_cast<Op*>(tag);
        op.pending = false;
        op.ok = ok;
        return op;
      }
      case grpc::CompletionQueue::SHUTDOWN:
        throw std::runtime_error(what_ + ": the completion queue shut down");
      case grpc::CompletionQueue::TIMEOUT:
        break;
    }
    if (sys::cancelled()) sys::throw_cancelled("grpc AsyncNext", what_);
    if (spin_) sys::cpu_relax();
  }
}

void drain(grpc::CompletionQueue& cq) noexcept {
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
}

std::string status_text(const grpc::Status& s) {
  static constexpr std::array<const char*, 17> kNames = {"OK",
                                                         "CANCELLED",
                                                         "UNKNOWN",
                                                         "INVALID_ARGUMENT",
                                                         "DEADLINE_EXCEEDED",
                                                         "NOT_FOUND",
                                                         "ALREADY_EXISTS",
                                                         "PERMISSION_DENIED",
                                                         "RESOURCE_EXHAUSTED",
                                                         "FAILED_PRECONDITION",
                                                         "ABORTED",
                                                         "OUT_OF_RANGE",
                                                         "UNIMPLEMENTED",
                                                         "INTERNAL",
                                                         "UNAVAILABLE",
                                                         "DATA_LOSS",
                                                         "UNAUTHENTICATED"};
  const auto code = static_cast<std::size_t>(s.error_code());
  std::string name = code < kNames.size() ? kNames[code] : "status ";
  if (code >= kNames.size()) name += std::to_string(code);
  return name + ": " + s.error_message();
}

void copy_out(const ipcbgrpc::Payload& m, std::byte* out, std::size_t n,
              const Settings& s) {
  if (m.data().size() != n) {
    throw std::runtime_error(
        s.what() + ": a message of " + std::to_string(m.data().size()) +
        " bytes arrived when " + std::to_string(n) + " were expected");
  }
  std::memcpy(out, m.data().data(), n);
}

GrpcTransport::GrpcTransport(const Config& c, std::string name, bool tcp,
                             ServerMode mode, ClientFactory make_client)
    : tcp_(tcp),
      dir_(c.dir),
      mode_(std::move(mode)),
      make_client_(make_client),
      listens_(tcp && c.peer_listens()),
      listen_host_(host_or_loopback(c.listen_address)),
      remote_host_(host_or_loopback(c.remote_host)) {
  s_.name = std::move(name);
  s_.max_message_bytes = static_cast<int>(
      std::min<std::size_t>(c.max_message_bytes + kFramingBytes, INT32_MAX));
  s_.wait = c.wait;
}

GrpcTransport::~GrpcTransport() { close(); }

void GrpcTransport::prepare() {
  s_.token = random_token();
  if (listens_) {  // the peer, across hosts: its server listens at once
    NetAddress addr =
        resolve_host(listen_host_, 0, s_.name + " listen address");
    s_.address = addr.text();
    server_ = std::make_unique<Server>(s_, mode_);
    addr.set_port(server_->port());
    s_.address = addr.text();
    return;
  }
  if (!tcp_) {
    path_ = dir_ + "/grpc.sock";
    s_.address = "unix:" + path_;
    return;
  }
  reserved_ = sys::Fd(sys::checked("socket", "grpc port hold", [] {
    return ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  }));
  const int one = 1;
  sys::checked("setsockopt(SO_REUSEPORT)", "grpc port hold", [&] {
    return ::setsockopt(reserved_.get(), SOL_SOCKET, SO_REUSEPORT, &one,
                        sizeof one);
  });
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  auto* sa = reinterpret_cast<sockaddr*>(&a);
  sys::checked("bind(127.0.0.1:0)", "grpc port hold",
               [&] { return ::bind(reserved_.get(), sa, len); });
  sys::checked("getsockname", "grpc port hold",
               [&] { return ::getsockname(reserved_.get(), sa, &len); });
  s_.address = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
}

nlohmann::json GrpcTransport::handoff() const {
  if (listens_) return {{"port", server_->port()}, {"token", s_.token}};
  return {{"address", s_.address}, {"token", s_.token}};
}

void GrpcTransport::adopt(const nlohmann::json& h) {
  s_.token = h.at("token").get<std::string>();
  if (!listens_) {
    s_.address = h.at("address").get<std::string>();
    return;
  }
  const NetAddress target = resolve_host(remote_host_, h.at("port").get<int>(),
                                         s_.name + " peer host");
  s_.address = target.text();
  scheme_ = target.family == AF_INET6 ? "ipv6:" : "ipv4:";
}

void GrpcTransport::connect(Role role) {
  if (role == Role::kPeer && server_) return;  // serving since prepare()
  if (role == Role::kPeer) {
    server_ = std::make_unique<Server>(s_, mode_);
  } else {
    connect_client();
  }
}

void GrpcTransport::connect_client() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(s_.max_message_bytes);
  args.SetMaxSendMessageSize(s_.max_message_bytes);
  // The peer's server starts while the driver connects: retry soon.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 10);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 10);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);  // loopback, never a proxy
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);     // no retry buffering
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection each
  const std::string target = tcp_ ? scheme_ + s_.address : s_.address;
  auto channel = grpc::CreateCustomChannel(
      target, grpc::InsecureChannelCredentials(), args);
  // Starts connecting, without waiting: the peer's server accepts only
  // while the peer polls its queue (in recv/send, after the start gate).
  // Calls wait for the connection (wait_for_ready), the first in the
  // warm-up.
  channel->GetState(true);
  client_ = make_client_(ipcbgrpc::Bench::NewStub(channel), s_);
}

void GrpcTransport::send(const std::byte* d, std::size_t n) {
  client_ ? client_->send(d, n) : server_->send(d, n);
}

void GrpcTransport::recv(std::byte* d, std::size_t n) {
  client_ ? client_->recv(d, n) : server_->recv(d, n);
}

void GrpcTransport::close() noexcept {
  if (client_) client_->close();
  client_.reset();
  server_.reset();
}

void GrpcTransport::teardown() noexcept {
  close();
  reserved_.reset();
  if (!path_.empty()) ::unlink(path_.c_str());
}

std::map<std::string, std::int64_t> GrpcTransport::applied_settings() const {
  return {{"grpc_max_receive_message_bytes", s_.max_message_bytes},
          {"grpc_max_send_message_bytes", s_.max_message_bytes},
          {"grpc_reply_write_through", 1},
          {"grpc_retries_enabled", 0}};
}

std::vector<int> GrpcTransport::own_threads() const {
  std::vector<int> all;
  for (const char* prefix : kThreadPrefixes) {
    for (int tid : sys::threads_named(prefix)) all.push_back(tid);
  }
  return all;
}

Capacity GrpcTransport::capacity() const {
  Capacity c;
  c.reason =
      "gRPC's HTTP/2 flow-control windows (sized by its BDP probe) and the "
      "kernel's socket buffers; ipcbench does not size them";
  return c;
}

TransportInfo grpc_info(std::string name, std::string description, bool tcp,
                        ServerMode mode, ClientFactory make_client,
                        std::string limits) {
  Capabilities caps;
  caps.preserves_boundaries = true;
  caps.waits = {Wait::kBlock, Wait::kSpin};
  caps.limits = std::move(limits);
  caps.crosses_hosts = tcp;
  auto create = [name, tcp, mode, make_client](const Config& c) {
    return std::make_unique<GrpcTransport>(c, name, tcp, mode, make_client);
  };
  return {std::move(name), std::move(description), caps, create,
          [] { return std::optional<std::string>(); }};
}

}  // namespace ipcb::transports::grpc_ipc
