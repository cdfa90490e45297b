// iceoryx: Eclipse iceoryx 2.0.3 publish/subscribe through shared memory
// managed by RouDi (transports/iceoryx_roudi.hpp: one RouDi per driver
// process, started at the first iceoryx benchmark). Two topics per
// benchmark, ("ipcbench", <run prefix>, "d2p") and (..., "p2d"), each an
// UntypedPublisher and UntypedSubscriber. send() loans a chunk of the
// message size from RouDi's mempool, writes the payload into it once (the
// copy every transport makes from the caller's buffer) and publishes it:
// only an 8-byte chunk reference travels through the subscriber's queue.
// recv() takes the chunk and reads it in place, copying it into the
// caller's buffer only because Transport::recv asks for the bytes there,
// then releases it. So two copies per message, both in user space (a pipe
// also makes two, through the kernel); no system call on the way when
// spinning. Waits: spin polls take(); block waits in a WaitSet (a
// semaphore in shared memory that the publisher posts) with a 100 ms
// timeout, to notice cancellation, signals blocked meanwhile (iceoryx
// aborts on an EINTR there); a Listener would add a thread and a hop. Lossless:
// publishers WAIT_FOR_CONSUMER, subscribers BLOCK_PRODUCER (a full queue makes
// publish() wait, inside iceoryx: not cancellable, but a dead subscriber is
// removed by RouDi's monitoring within ~1.5 s). Readiness: each peer, once its
// d2p subscription is SUBSCRIBED and its p2d publisher has a subscriber,
// publishes an 8-byte ready mark on p2d; the driver's connect() takes one per
// peer (fan-out: one per consumer), so the next send() reaches all. Limits:
// messages up to 1 MiB (RouDi's mempools, sized at start); queue depth ~4 MiB
// per queue (4..256 messages); fan-out up to 16 consumers.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iceoryx_hoofs/log/logmanager.hpp>
#include <iceoryx_posh/mepoo/chunk_header.hpp>
#include <iceoryx_posh/popo/untyped_publisher.hpp>
#include <iceoryx_posh/popo/untyped_subscriber.hpp>
#include <iceoryx_posh/popo/wait_set.hpp>
#include <iceoryx_posh/runtime/posh_runtime.hpp>
#include <mutex>
#include <optional>
#include <thread>

#include "sys/cancel.hpp"
#include "transports/capacity.hpp"
#include "transports/iceoryx_roudi.hpp"
#include "transports/registry.hpp"

namespace ipcb::transports {
namespace {

namespace iox_t = iceoryx;
constexpr std::uint64_t kReadyMark = 0x5944414552786f69;  // "ioxREADY"
constexpr auto kConnectTimeout = std::chrono::seconds(30);

std::mutex runtime_mu;
std::string runtime_name;  // this process's, once registered

// Registers this process with RouDi, once per process (iceoryx allows no
// more); `name` is "<RouDi run dir>/<role>".
void init_runtime(const std::string& name) {
  std::lock_guard lock(runtime_mu);
  if (!runtime_name.empty()) {
    if (name.substr(0, name.find('/')) !=
        runtime_name.substr(0, runtime_name.find('/')))
      throw std::runtime_error(
          "iceoryx: this process is registered with an earlier RouDi (" +
          runtime_name +
          "), and iceoryx lets a process register only once; run iceoryx in "
          "a fresh process");
    return;
  }
  iox::log::LogManager::GetLogManager().SetDefaultLogLevel(
      iox::log::LogLevel::kFatal, iox::log::LogLevelOutput::kHideLogLevel);
  iox::runtime::PoshRuntime::initRuntime(iox::RuntimeName_t(
      iox::cxx::TruncateToCapacity, name.c_str(), name.size()));
  runtime_name = name;
}

iox::capro::ServiceDescription topic(const std::string& instance,
                                     const char* event) {
  auto id = [](const std::string& s) {
    return iox::capro::IdString_t(iox::cxx::TruncateToCapacity, s.c_str(),
                                  s.size());
  };
  return {id("ipcbench"), id(instance), id(event)};
}

class IceoryxTransport final : public Transport {
 public:
  explicit IceoryxTransport(const Config& c)
      : cfg_(c),
        depth_(iox_t::queue_depth(c.max_message_bytes, c.capacity_bytes)) {
    sigfillset(&all_signals_);
  }

  void prepare() override {
    if (cfg_.consumers > iox_t::kMaxConsumers)
      throw std::runtime_error(
          "iceoryx: " + std::to_string(cfg_.consumers) +
          " consumers; RouDi's mempools are sized for at most " +
          std::to_string(iox_t::kMaxConsumers));
    roudi_pid_ = iox_t::ensure_roudi();
    run_dir_ = iox_t::roudi_dir_name();
    init_runtime(run_dir_ + "/driver");
    // The ready marks of every peer, then (two-way) the peer's messages.
    open(topic(cfg_.name_prefix, "d2p"), topic(cfg_.name_prefix, "p2d"),
         cfg_.consumers > 0 ? std::max<std::size_t>(
                                  static_cast<std::size_t>(cfg_.consumers), 4)
                            : depth_);
  }

  nlohmann::json handoff() const override {
    return {{"roudi_dir", run_dir_}, {"instance", cfg_.name_prefix}};
  }
  void adopt(const nlohmann::json& h) override {
    run_dir_ = h.at("roudi_dir").get<std::string>();
    cfg_.name_prefix = h.at("instance").get<std::string>();
  }

  void connect(Role role) override {
    const auto deadline = std::chrono::steady_clock::now() + kConnectTimeout;
    if (role == Role::kDriver) {
      for (int i = 0; i < std::max(cfg_.consumers, 1); ++i) {
        std::uint64_t mark = 0;
        recv_until(reinterpret_cast<std::byte*>(&mark), sizeof mark, deadline);
        if (mark != kReadyMark)
          throw std::runtime_error("iceoryx(" + cfg_.name_prefix +
                                   "): a peer's first message was not its "
                                   "ready mark");
      }
      return;
    }
    init_runtime(run_dir_ + "/peer" + std::to_string(::getpid()));
    open(topic(cfg_.name_prefix, "p2d"), topic(cfg_.name_prefix, "d2p"),
         depth_);
    while (sub_->getSubscriptionState() != iox::SubscribeState::SUBSCRIBED ||
           !pub_->hasSubscribers()) {
      check("connect", deadline);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    send(reinterpret_cast<const std::byte*>(&kReadyMark), sizeof kReadyMark);
  }

  void send(const std::byte* d, std::size_t n) override {
    auto loaned = pub_->loan(static_cast<std::uint32_t>(n));
    if (loaned.has_error())
      throw std::runtime_error(
          "iceoryx loan(" + std::to_string(n) + " B, " + cfg_.name_prefix +
          "): " + iox::popo::asStringLiteral(loaned.get_error()) +
          " (RouDi's mempools: see docs/transports.md)");
    void* chunk = loaned.value();
    std::memcpy(chunk, d, n);
    pub_->publish(chunk);
  }

  void recv(std::byte* d, std::size_t n) override {
    recv_until(d, n, std::nullopt);
  }

  void teardown() noexcept override {
    waitset_.reset();
    sub_.reset();
    pub_.reset();
  }

  std::map<std::string, std::int64_t> applied_settings() const override {
    return {
        {"iceoryx_queue_capacity_messages", static_cast<std::int64_t>(depth_)}};
  }
  std::vector<int> daemon_pids() const override {
    return roudi_pid_ > 0 ? std::vector<int>{roudi_pid_} : std::vector<int>{};
  }
  Capacity capacity() const override {
    const std::size_t n = std::max<std::size_t>(cfg_.max_message_bytes, 1);
    return read_capacity(
        static_cast<std::int64_t>(depth_ * n), cfg_.capacity_bytes,
        "SubscriberOptions::queueCapacity x message size",
        "the subscriber queue holds " + std::to_string(depth_) +
            " messages of " + std::to_string(n) +
            " B: iceoryx's maximum is 256, and RouDi's mempool for this size "
            "holds chunks for no more");
  }

 private:
  // Offers `out` and subscribes to `in` with a queue of `depth`, both
  // lossless; the subscriber is attached to the WaitSet when blocking.
  void open(const iox::capro::ServiceDescription& out,
            const iox::capro::ServiceDescription& in, std::size_t depth) {
    iox::popo::PublisherOptions po;
    po.subscriberTooSlowPolicy =
        iox::popo::ConsumerTooSlowPolicy::WAIT_FOR_CONSUMER;
    pub_.emplace(out, po);
    iox::popo::SubscriberOptions so;
    so.queueCapacity = depth;
    so.queueFullPolicy = iox::popo::QueueFullPolicy::BLOCK_PRODUCER;
    sub_.emplace(in, so);
    if (cfg_.wait == Wait::kBlock) {
      waitset_.emplace();
      if (waitset_->attachState(*sub_, iox::popo::SubscriberState::HAS_DATA)
              .has_error())
        throw std::runtime_error("iceoryx: WaitSet::attachState failed");
    }
  }

  void check(const char* call,
             std::optional<std::chrono::steady_clock::time_point> deadline) {
    if (sys::cancelled()) sys::throw_cancelled(call, cfg_.name_prefix);
    if (deadline && std::chrono::steady_clock::now() > *deadline)
      throw std::runtime_error(
          std::string("iceoryx ") + call + "(" + cfg_.name_prefix +
          "): the other side did not subscribe within 30 s (is RouDi, pid " +
          std::to_string(roudi_pid_) + ", still running?)");
  }

  void recv_until(std::byte* d, std::size_t n,
                  std::optional<std::chrono::steady_clock::time_point> until) {
    for (;;) {
      auto taken = sub_->take();
      if (!taken.has_error()) {
        const void* p = taken.value();
        const auto got =
            iox::mepoo::ChunkHeader::fromUserPayload(p)->userPayloadSize();
        if (got == n) std::memcpy(d, p, n);
        sub_->release(p);
        if (got == n) return;
        throw std::runtime_error("iceoryx take(" + cfg_.name_prefix +
                                 "): a message of " + std::to_string(got) +
                                 " bytes arrived when " + std::to_string(n) +
                                 " were expected");
      }
      if (taken.get_error() !=
          iox::popo::ChunkReceiveResult::NO_CHUNK_AVAILABLE)
        throw std::runtime_error("iceoryx take(" + cfg_.name_prefix + "): " +
                                 iox::popo::asStringLiteral(taken.get_error()));
      check("take", until);
      if (waitset_) {
        // iceoryx 2.0 treats an EINTR of its semaphore wait as a fatal
        // error (it aborts), and the harness interrupts waits with a
        // signal: signals wait until the slice ends (cancellation is polled
        // above at least every 100 ms).
        sigset_t old;
        ::pthread_sigmask(SIG_BLOCK, &all_signals_, &old);
        waitset_->timedWait(iox::units::Duration::fromMilliseconds(100));
        ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
      } else {
        sys::cpu_relax();
      }
    }
  }

  Config cfg_;
  std::size_t depth_;
  pid_t roudi_pid_ = 0;
  std::string run_dir_;  // RouDi's run directory name (runtime names)
  std::optional<iox::popo::UntypedPublisher> pub_;
  std::optional<iox::popo::UntypedSubscriber> sub_;
  std::optional<iox::popo::WaitSet<>> waitset_;
  sigset_t all_signals_;
};

}  // namespace

TransportInfo iceoryx_transport() {
  Capabilities caps;
  caps.max_message_bytes = iceoryx::kMaxMessageBytes;
  caps.preserves_boundaries = true;
  caps.waits = {Wait::kBlock, Wait::kSpin};
  caps.fanout = Fanout::kLossless;
  caps.limits =
      "one RouDi per machine (iceoryx 2.0: fixed names in /tmp and /dev/shm); "
      "messages up to 1 MiB (RouDi mempools sized at its start); queues "
      "~4 MiB (4..256 messages); fan-out up to 16 consumers";
  return {"iceoryx",
          "iceoryx 2.0 zero-copy publish/subscribe (loaned shared-memory "
          "chunks; RouDi daemon started by ipcbench)",
          caps,
          [](const Config& c) { return std::make_unique<IceoryxTransport>(c); },
          [] { return iceoryx::roudi_unavailable(); }};
}

}  // namespace ipcb::transports
