// sysv_mq: two System V message queues (msgget/msgsnd/msgrcv), one per
// direction, created exclusively with mode 0600 under the keys of labels
// "a2b" and "b2a" in this run (sysv_key: a hash of the run's name prefix and
// the label); the ids are recorded with their labels in the run's private
// directory and handed to the peer; teardown() removes both with IPC_RMID.
// One queue per direction rather than one queue with an mtype per direction:
// each direction then gets the whole kernel.msgmnb byte budget, and a full
// a->b queue can never hold back the b->a reply, as with posix_mq.
// Limits: a queue message holds at most kernel.msgmax bytes (default 8192)
// and a queue at most msg_qbytes = kernel.msgmnb bytes (default 16384, so
// two 8 KiB messages); kernel.msgmni caps the number of queues. A larger
// message is FRAGMENTED into consecutive queue messages of
// min(size, msgmax, msg_qbytes) bytes, decided by the driver; the receiver
// reads until every byte it expects arrived. msgsnd/msgrcv need the mtype
// word in front of the text, so each fragment is copied through a buffer.
// Capacity: default, msg_qbytes = kernel.msgmnb; equal, both queues'
// msg_qbytes set to the budget with IPC_SET (beyond kernel.msgmnb only with
// CAP_SYS_RESOURCE: else msgmnb stays, and the record names it).
// Waits: block (msgsnd/msgrcv sleep and return EINTR on the harness's
// SIGUSR1) and spin (IPC_NOWAIT, polled; one system call per attempt).
#include <sys/ipc.h>
#include <sys/msg.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "sys/checked.hpp"
#include "sys/manifest.hpp"
#include "transports/capacity.hpp"
#include "transports/queue_common.hpp"
#include "transports/registry.hpp"

namespace ipcb::transports {
namespace {

const char kMsgmax[] = "/proc/sys/kernel/msgmax";
const char kMsgmnb[] = "/proc/sys/kernel/msgmnb";
constexpr long kType = 1;  // mtype of every fragment (must be > 0)

class SysvMqTransport final : public Transport {
 public:
  explicit SysvMqTransport(const Config& c)
      : config_(c), spin_(c.wait == Wait::kSpin) {}

  void prepare() override {
    a2b_ = create("a2b");
    b2a_ = create("b2a");
    size_queue(a2b_);
    size_queue(b2a_);
    msqid_ds ds{};
    sys::checked("msgctl(IPC_STAT)", name(a2b_),
                 [&] { return ::msgctl(a2b_, IPC_STAT, &ds); });
    fragment_ = std::min<std::size_t>(
        {std::max<std::size_t>(config_.max_message_bytes, 1),
         static_cast<std::size_t>(read_limit(kMsgmax, 8192)),
         static_cast<std::size_t>(ds.msg_qbytes)});
  }
  nlohmann::json handoff() const override {
    return {{"a2b_id", a2b_}, {"b2a_id", b2a_}, {"fragment_bytes", fragment_}};
  }
  void adopt(const nlohmann::json& h) override {
    a2b_ = h.at("a2b_id").get<int>();
    b2a_ = h.at("b2a_id").get<int>();
    fragment_ = h.at("fragment_bytes").get<std::size_t>();
  }
  void connect(Role role) override {
    out_ = role == Role::kDriver ? a2b_ : b2a_;
    in_ = role == Role::kDriver ? b2a_ : a2b_;
    out_name_ = name(out_);
    in_name_ = name(in_);
    sys::checked("msgctl(IPC_STAT)", in_name_,
                 [&] { return ::msgctl(in_, IPC_STAT, &stat_); });
    buf_.assign(sizeof(long) + fragment_, std::byte{0});  // touched
    std::memcpy(buf_.data(), &kType, sizeof kType);
  }
  void send(const std::byte* d, std::size_t n) override {
    const int flags = spin_ ? IPC_NOWAIT : 0;
    while (n > 0) {
      const std::size_t k = std::min(n, fragment_);
      std::memcpy(buf_.data() + sizeof(long), d, k);
      sys::checked_poll("msgsnd", out_name_, spin_, EAGAIN,
                        [&] { return ::msgsnd(out_, buf_.data(), k, flags); });
      d += k;
      n -= k;
    }
  }
  void recv(std::byte* d, std::size_t n) override {
    const int flags = spin_ ? IPC_NOWAIT : 0;
    while (n > 0) {
      auto r = static_cast<std::size_t>(sys::checked_poll(
          "msgrcv", in_name_, spin_, ENOMSG,
          [&] { return ::msgrcv(in_, buf_.data(), fragment_, kType, flags); }));
      if (r == 0 || r > n) throw_size_mismatch("msgrcv", in_name_, r, n);
      std::memcpy(d, buf_.data() + sizeof(long), r);
      d += r;
      n -= r;
    }
  }
  void teardown() noexcept override {
    for (int id : created_) ::msgctl(id, IPC_RMID, nullptr);
    created_.clear();
  }
  Capacity capacity() const override {
    msqid_ds a{}, b{};
    if (::msgctl(a2b_, IPC_STAT, &a) != 0 || ::msgctl(b2a_, IPC_STAT, &b) != 0)
      return no_capacity("msgctl(IPC_STAT) failed");
    const auto msgmnb = read_limit(kMsgmnb, -1);
    return read_capacity(
        static_cast<std::int64_t>(std::min(a.msg_qbytes, b.msg_qbytes)),
        config_.capacity_bytes, "msgctl(IPC_STAT): msg_qbytes, smaller queue",
        "kernel.msgmnb = " + std::to_string(msgmnb) +
            " (beyond it IPC_SET needs CAP_SYS_RESOURCE)",
        "sysctl -w kernel.msgmnb=" + std::to_string(config_.capacity_bytes));
  }
  std::map<std::string, std::int64_t> applied_settings() const override {
    if (buf_.empty()) return {};
    return {{"fragment_bytes", static_cast<std::int64_t>(fragment_)},
            {"msg_qbytes_bytes", static_cast<std::int64_t>(stat_.msg_qbytes)},
            {"msgmax_bytes", read_limit(kMsgmax, -1)},
            {"msgmnb_bytes", read_limit(kMsgmnb, -1)}};
  }

 private:
  int create(const char* label) {
    const key_t key = sys::sysv_key(config_.name_prefix, label);
    std::string what = "System V msg queue ";
    what += label;
    what += " (key ";
    what += sys::sysv_key_hex(key);
    what += ")";
    int id = sys::create_exclusive("msgget", what, [key] {
      return ::msgget(key, IPC_CREAT | IPC_EXCL | 0600);
    });
    created_.push_back(id);
    sys::record_sysv_object(config_.dir, "msg", id, label);
    return id;
  }
  // --capacity=equal: msg_qbytes to the budget; EPERM (beyond
  // kernel.msgmnb, unprivileged) leaves the queue as created.
  void size_queue(int id) const {
    if (config_.capacity_bytes == 0) return;
    msqid_ds ds{};
    sys::checked("msgctl(IPC_STAT)", name(id),
                 [&] { return ::msgctl(id, IPC_STAT, &ds); });
    ds.msg_qbytes = static_cast<msglen_t>(config_.capacity_bytes);
    if (::msgctl(id, IPC_SET, &ds) != 0 && errno != EPERM)
      sys::checked("msgctl(IPC_SET)", name(id),
                   [&] { return ::msgctl(id, IPC_SET, &ds); });
  }
  static std::string name(int id) {
    std::string s = "System V msg queue ";
    s += std::to_string(id);
    return s;
  }

  Config config_;
  bool spin_;
  int a2b_ = -1, b2a_ = -1, out_ = -1, in_ = -1;
  std::vector<int> created_;
  std::size_t fragment_ = 0;
  std::string out_name_, in_name_;
  msqid_ds stat_{};
  std::vector<std::byte> buf_;  // mtype word, then one fragment
};

}  // namespace

TransportInfo sysv_mq_transport() {
  Capabilities caps;
  caps.preserves_boundaries = true;
  caps.waits = {Wait::kBlock, Wait::kSpin};
  caps.limits = "messages above kernel.msgmax (now ";
  caps.limits += std::to_string(read_limit(kMsgmax, -1));
  caps.limits += " B) are fragmented; a queue holds kernel.msgmnb (now ";
  caps.limits += std::to_string(read_limit(kMsgmnb, -1));
  caps.limits += " B); kernel.msgmni caps the number of queues";
  // Fan-in: producers msgsnd to b->a by id; one queue message is atomic.
  if (auto max = read_limit(kMsgmax, -1); max > 0) {
    caps.fanin_max_bytes = static_cast<std::size_t>(max);
    caps.fragment_above_bytes = static_cast<std::size_t>(max);
  }
  caps.fragment_knob =
      "kernel.msgmax and kernel.msgmnb (sysctl -w kernel.msgmax=1048576 "
      "kernel.msgmnb=2097152, as root)";
  return {"sysv_mq",
          "two System V message queues (msgsnd/msgrcv), one per direction",
          caps,
          [](const Config& c) { return std::make_unique<SysvMqTransport>(c); },
          [] {
            if (read_limit(kMsgmax, -1) < 0)
              return std::optional<std::string>(
                  "no System V message queues in this kernel "
                  "(/proc/sys/kernel/msgmax missing)");
            return std::optional<std::string>();
          }};
}

}  // namespace ipcb::transports
