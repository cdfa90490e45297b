// posix_mq: two POSIX message queues (mq_open/mq_send/mq_receive), one per
// direction, named "/<prefix>-a2b" and "/<prefix>-b2a", created exclusively
// with mode 0600 and removed with mq_unlink in teardown().
// Limits: a queue message holds at most fs.mqueue.msgsize_max bytes (default
// 8192) and a queue at most fs.mqueue.msg_max messages (default 10); mq_open
// with larger attributes fails with EINVAL (root may go up to the kernel's
// hard limits, 16 MiB and 65536, but we keep to the sysctls so that the
// figures do not depend on privilege). The queues of one user together may
// hold at most RLIMIT_MSGQUEUE bytes (ulimit -q, default 800 KiB); the depth
// is lowered to fit. Sizing: mq_msgsize = min(message size, msgsize_max),
// mq_maxmsg = min(10, msg_max). A larger message is FRAGMENTED into
// consecutive queue messages of mq_msgsize bytes; the receiver knows the
// size it expects and reads until every byte arrived. Both sides receive
// into the caller's buffer when a whole queue message fits in what is still
// expected, else into a scratch buffer (mq_receive wants mq_msgsize room).
// Capacity: default, the depth above (10 x mq_msgsize, as the kernel's own
// default); equal, depth = budget / mq_msgsize, which may exceed
// fs.mqueue.msg_max only with CAP_SYS_RESOURCE (up to 65536; else the depth
// falls back to msg_max and the record names it), the process's
// RLIMIT_MSGQUEUE raised to hold both queues where it may be.
// Waits: block (mq_send/mq_receive sleep in the kernel and return EINTR on
// the harness's SIGUSR1) and spin (O_NONBLOCK, polled; still one system call
// per attempt).
#include <fcntl.h>
#include <mqueue.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstring>

#include "sys/checked.hpp"
#include "sys/fd.hpp"
#include "sys/manifest.hpp"
#include "transports/capacity.hpp"
#include "transports/queue_common.hpp"
#include "transports/registry.hpp"

namespace ipcb::transports {
namespace {

constexpr long kPosixMqDepth = 10;   // queue messages per direction
constexpr long kKernelPerMsg = 128;  // kernel bookkeeping per queue message
constexpr long kHardMsgMax = 65536;  // the kernel's HARD_MSGMAX
const char kMsgsizeMax[] = "/proc/sys/fs/mqueue/msgsize_max";
const char kMsgMax[] = "/proc/sys/fs/mqueue/msg_max";

class PosixMqTransport final : public Transport {
 public:
  explicit PosixMqTransport(const Config& c)
      : config_(c),
        a2b_("/" + c.name_prefix + "-a2b"),
        b2a_("/" + c.name_prefix + "-b2a"),
        spin_(c.wait == Wait::kSpin) {}

  void prepare() override {
    mq_attr attr{};
    attr.mq_msgsize = static_cast<long>(std::min<std::int64_t>(
        std::max<std::size_t>(config_.max_message_bytes, 1),
        read_limit(kMsgsizeMax, 8192)));
    const long msg_max = static_cast<long>(read_limit(kMsgMax, 10));
    attr.mq_maxmsg = std::min<long>(kPosixMqDepth, msg_max);
    if (config_.capacity_bytes > 0) {
      attr.mq_maxmsg = std::clamp<long>(
          static_cast<long>(config_.capacity_bytes) / attr.mq_msgsize, 1,
          kHardMsgMax);
      raise_rlimit(2 * attr.mq_maxmsg * (attr.mq_msgsize + kKernelPerMsg));
    }
    const long wanted = attr.mq_maxmsg;
    rlimit rl{};
    if (::getrlimit(RLIMIT_MSGQUEUE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
      attr.mq_maxmsg =
          std::min<long>(attr.mq_maxmsg, static_cast<long>(rl.rlim_cur / 2) /
                                             (attr.mq_msgsize + kKernelPerMsg));
    std::string rlimit_limit, rlimit_raise;
    if (config_.capacity_bytes > 0 && attr.mq_maxmsg < wanted) {
      rlimit_limit = "RLIMIT_MSGQUEUE = " + std::to_string(rl.rlim_cur) +
                     " B for both queues (raising it needs CAP_SYS_RESOURCE)";
      rlimit_raise =
          "ulimit -q " +
          std::to_string(2 * wanted * (attr.mq_msgsize + kKernelPerMsg));
      limit_ = rlimit_limit;
      sysctl_ = rlimit_raise;
    }
    if (attr.mq_maxmsg < 1) {
      std::string s = "posix_mq: two queues of one ";
      s += std::to_string(attr.mq_msgsize);
      s += " B message exceed RLIMIT_MSGQUEUE (";
      s += std::to_string(rl.rlim_cur);
      s += " B); raise it with `ulimit -q`";
      throw std::runtime_error(s);
    }
    if (attr.mq_maxmsg > msg_max) {
      // Beyond fs.mqueue.msg_max: EINVAL without CAP_SYS_RESOURCE.
      try {
        out_ = create(a2b_, O_WRONLY, attr, created_a2b_);
      } catch (const sys::SysError& e) {
        if (e.error_number() != EINVAL) throw;
        limit_ = "fs.mqueue.msg_max = " + std::to_string(msg_max) +
                 " queue messages (beyond it mq_open needs CAP_SYS_RESOURCE)";
        sysctl_ = "sysctl -w fs.mqueue.msg_max=" + std::to_string(wanted);
        if (!rlimit_limit.empty()) {
          limit_ += "; " + rlimit_limit;
          sysctl_ += " and " + rlimit_raise;
        }
        attr.mq_maxmsg = msg_max;
      }
    }
    if (!out_) out_ = create(a2b_, O_WRONLY, attr, created_a2b_);
    in_ = create(b2a_, O_RDONLY, attr, created_b2a_);
  }
  void connect(Role role) override {
    if (role == Role::kDriver) {
      out_name_ = a2b_;
      in_name_ = b2a_;
    } else {
      out_name_ = b2a_;
      in_name_ = a2b_;
      out_ = open(out_name_, O_WRONLY);
      in_ = open(in_name_, O_RDONLY);
    }
    sys::checked("mq_getattr", in_name_,
                 [&] { return ::mq_getattr(in_.get(), &attr_); });
    msgsize_ = static_cast<std::size_t>(attr_.mq_msgsize);
    scratch_.assign(msgsize_, std::byte{0});  // allocated and touched
  }
  void send(const std::byte* d, std::size_t n) override {
    while (n > 0) {
      const std::size_t k = std::min(n, msgsize_);
      sys::checked_poll("mq_send", out_name_, spin_, EAGAIN, [&] {
        return ::mq_send(out_.get(), reinterpret_cast<const char*>(d), k, 0);
      });
      d += k;
      n -= k;
    }
  }
  void recv(std::byte* d, std::size_t n) override {
    while (n > 0) {
      const bool direct = n >= msgsize_;
      std::byte* dst = direct ? d : scratch_.data();
      auto r = static_cast<std::size_t>(
          sys::checked_poll("mq_receive", in_name_, spin_, EAGAIN, [&] {
            return ::mq_receive(in_.get(), reinterpret_cast<char*>(dst),
                                msgsize_, nullptr);
          }));
      if (r == 0 || r > n) throw_size_mismatch("mq_receive", in_name_, r, n);
      if (!direct) std::memcpy(d, dst, r);
      d += r;
      n -= r;
    }
  }
  void teardown() noexcept override {
    if (created_a2b_) ::mq_unlink(a2b_.c_str());
    if (created_b2a_) ::mq_unlink(b2a_.c_str());
    created_a2b_ = created_b2a_ = false;
  }
  Capacity capacity() const override {
    if (msgsize_ == 0) return no_capacity("not connected");
    mq_attr out{};
    if (::mq_getattr(out_.get(), &out) != 0) return no_capacity("mq_getattr");
    return read_capacity(std::min(out.mq_maxmsg * out.mq_msgsize,
                                  attr_.mq_maxmsg * attr_.mq_msgsize),
                         config_.capacity_bytes,
                         "mq_getattr: mq_maxmsg x mq_msgsize, smaller queue",
                         limit_.empty()
                             ? "whole queue messages of " +
                                   std::to_string(attr_.mq_msgsize) + " B"
                             : limit_,
                         sysctl_);
  }
  std::map<std::string, std::int64_t> applied_settings() const override {
    if (msgsize_ == 0) return {};
    return {{"mq_msgsize_bytes", attr_.mq_msgsize},
            {"mq_maxmsg", attr_.mq_maxmsg},
            {"msgsize_max_bytes", read_limit(kMsgsizeMax, -1)},
            {"msg_max", read_limit(kMsgMax, -1)}};
  }

 private:
  // mqd_t is a file descriptor on Linux (mq_close is close), opened with
  // O_CLOEXEC by glibc: Fd owns it.
  sys::Fd create(const std::string& name, int mode, mq_attr& attr,
                 bool& created) {
    sys::Fd fd(sys::create_exclusive("mq_open", name, [&] {
      return ::mq_open(name.c_str(), open_flags(mode) | O_CREAT | O_EXCL, 0600,
                       &attr);
    }));
    created = true;
    // /dev/mqueue is not always mounted: list the queue so that the
    // clean-up of a run that died can find it.
    sys::record_named_object(config_.dir, "mq", name);
    return fd;
  }
  sys::Fd open(const std::string& name, int mode) const {
    return sys::Fd(sys::checked("mq_open", name, [&] {
      return ::mq_open(name.c_str(), open_flags(mode));
    }));
  }
  int open_flags(int mode) const { return mode | (spin_ ? O_NONBLOCK : 0); }
  // Raises RLIMIT_MSGQUEUE to `bytes` if it is lower and the process may
  // (the hard limit too needs CAP_SYS_RESOURCE); a failure leaves it.
  static void raise_rlimit(long bytes) {
    rlimit rl{};
    if (::getrlimit(RLIMIT_MSGQUEUE, &rl) != 0 ||
        rl.rlim_cur == RLIM_INFINITY ||
        rl.rlim_cur >= static_cast<rlim_t>(bytes))
      return;
    rlimit want = rl;
    want.rlim_cur = static_cast<rlim_t>(bytes);
    if (want.rlim_max != RLIM_INFINITY && want.rlim_max < want.rlim_cur)
      want.rlim_max = want.rlim_cur;
    if (::setrlimit(RLIMIT_MSGQUEUE, &want) != 0 && rl.rlim_max > rl.rlim_cur) {
      want = rl;
      want.rlim_cur = rl.rlim_max;
      (void)::setrlimit(RLIMIT_MSGQUEUE, &want);
    }
  }

  Config config_;
  std::string a2b_, b2a_, out_name_, in_name_;
  bool spin_;
  bool created_a2b_ = false, created_b2a_ = false;
  sys::Fd out_, in_;
  mq_attr attr_{};
  std::size_t msgsize_ = 0;
  std::vector<std::byte> scratch_;
  std::string limit_, sysctl_;  // what kept the depth below the budget
};

}  // namespace

TransportInfo posix_mq_transport() {
  Capabilities caps;
  caps.preserves_boundaries = true;
  caps.waits = {Wait::kBlock, Wait::kSpin};
  caps.limits = "messages above fs.mqueue.msgsize_max (now ";
  caps.limits += std::to_string(read_limit(kMsgsizeMax, -1));
  caps.limits += " B) are fragmented; depth min(10, fs.mqueue.msg_max, now ";
  caps.limits += std::to_string(read_limit(kMsgMax, -1));
  caps.limits += "); RLIMIT_MSGQUEUE (ulimit -q) caps a user's queue bytes";
  // Fan-in: producers open b->a by name; one queue message is atomic.
  if (auto max = read_limit(kMsgsizeMax, -1); max > 0) {
    caps.fanin_max_bytes = static_cast<std::size_t>(max);
    caps.fragment_above_bytes = static_cast<std::size_t>(max);
  }
  caps.fragment_knob =
      "fs.mqueue.msgsize_max (sysctl -w fs.mqueue.msgsize_max=1048576, as "
      "root; the kernel allows up to 16 MiB)";
  return {"posix_mq",
          "two POSIX message queues (mq_send/mq_receive), one per direction",
          caps,
          [](const Config& c) { return std::make_unique<PosixMqTransport>(c); },
          [] {
            if (read_limit(kMsgMax, -1) < 0)
              return std::optional<std::string>(
                  "no POSIX message queues in this kernel "
                  "(/proc/sys/fs/mqueue missing)");
            return std::optional<std::string>();
          }};
}

}  // namespace ipcb::transports
