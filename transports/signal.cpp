// signal: a memfd region (as eventfd) carrying the payload; each post of a
// full/empty counter of the mailbox (see mailbox.hpp) is one queued
// real-time signal, SIGRTMIN+1, sent with rt_tgsigqueueinfo to the other
// side's receiving thread, its si_value naming the counter. A wait is
// sigwaitinfo() until a signal for that counter has arrived (signals for the
// other counter become local credit). RT signals queue, unlike standard
// ones, so one signal per post is never lost: at most 2 x slots (<= 32) are
// pending per side, far below RLIMIT_SIGPENDING (checked in prepare; raise
// it with ulimit -i). SIGUSR1 is the harness's and is never used here.
// The signal is blocked, never handled: in the driver by prepare(), which runs
// on the main thread before the harness's watchdog thread exists (so the
// watchdog inherits the mask; a process-directed RT signal would otherwise
// kill the process through any thread not blocking it), and in the peer by
// connect(). teardown drains what is pending and restores the driver's mask.
// Each side learns the other's pid/tid from the region: connect() writes its
// own and waits (1 ms sleeps, polling cancelled()) for the other's.
// sigwaitinfo ends with EINTR on the harness's SIGUSR1 (a handled signal).
// Limits: RLIMIT_SIGPENDING (per user); message size any.
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>

#include "sys/cancel.hpp"
#include "sys/checked.hpp"
#include "transports/mailbox.hpp"
#include "transports/registry.hpp"

namespace ipcb::transports {
namespace {

// In the region: who receives on each side (0: driver, 1: peer).
struct Endpoints {
  std::atomic<std::int32_t> pid[2];
  std::atomic<std::int32_t> tid[2];
};
static_assert(std::atomic<std::int32_t>::is_always_lock_free);

class SignalNotifier final : public Notifier {
 public:
  SignalNotifier() : sig_(SIGRTMIN + 1) {
    sigemptyset(&set_);
    sigaddset(&set_, sig_);
    for (int i = 0; i < kCounters; ++i) {
      names_[i] = "RT signal ";
      names_[i] += counter_name(i);
    }
  }
  std::size_t shared_bytes() const override { return sizeof(Endpoints); }
  // Up to 2 x slots of each direction may be pending (check_sigpending).
  std::size_t max_slots() const override {
    rlimit rl{};
    if (::getrlimit(RLIMIT_SIGPENDING, &rl) != 0) return 16;
    if (rl.rlim_cur == RLIM_INFINITY) return Notifier::max_slots();
    return std::max<std::size_t>(rl.rlim_cur / 4, 1);
  }
  std::string slots_limit() const override {
    return "RLIMIT_SIGPENDING: up to 4 queued signals per slot; raise it "
           "with ulimit -i";
  }
  void create(std::byte* shared, const Counts& initial) override {
    check_sigpending(initial);
    ends_ = new (shared) Endpoints{};
    credit_ = initial;
    block();  // the driver's main thread, before the watchdog exists
  }
  void attach(const nlohmann::json&, std::byte* shared,
              const Counts& initial) override {
    ends_ = std::launder(reinterpret_cast<Endpoints*>(shared));
    credit_ = initial;
  }
  void connect(Role role) override {
    if (role == Role::kPeer) block();
    const int me = role == Role::kDriver ? 0 : 1;
    my_pid_ = ::getpid();
    my_uid_ = ::getuid();
    ends_->pid[me].store(my_pid_, std::memory_order_relaxed);
    ends_->tid[me].store(::gettid(), std::memory_order_release);
    while ((other_tid_ = ends_->tid[1 - me].load(std::memory_order_acquire)) ==
           0) {
      if (sys::cancelled())
        sys::throw_cancelled("connect", "signal: the other side's thread id");
      timespec ms{0, 1'000'000};
      ::nanosleep(&ms, nullptr);
    }
    other_pid_ = ends_->pid[1 - me].load(std::memory_order_relaxed);
  }
  void wait(int c) override {
    while (credit_[c] == 0) {
      siginfo_t info;
      sys::checked("sigwaitinfo", names_[c],
                   [&] { return ::sigwaitinfo(&set_, &info); });
      const int k = info.si_value.sival_int;
      if (info.si_code == SI_QUEUE && info.si_pid == other_pid_ && k >= 0 &&
          k < kCounters)
        ++credit_[k];  // anything else (e.g. a stray kill) is dropped
    }
    --credit_[c];
  }
  void post(int c) override {
    siginfo_t info;
    std::memset(&info, 0, sizeof info);
    info.si_signo = sig_;
    info.si_code = SI_QUEUE;
    info.si_pid = my_pid_;
    info.si_uid = my_uid_;
    info.si_value.sival_int = c;
    sys::checked("rt_tgsigqueueinfo", names_[c], [&] {
      return ::syscall(SYS_rt_tgsigqueueinfo, other_pid_, other_tid_, sig_,
                       &info);
    });
  }
  void remove() noexcept override {
    if (!blocked_by_us_) return;
    // Drain what is pending (the peer is gone by now), then unblock: an RT
    // signal arriving unblocked would terminate the process.
    timespec zero{0, 0};
    for (;;) {
      int r = ::sigtimedwait(&set_, nullptr, &zero);
      if (r == sig_ || (r < 0 && errno == EINTR)) continue;
      break;
    }
    ::pthread_sigmask(SIG_UNBLOCK, &set_, nullptr);
    blocked_by_us_ = false;
  }
  Settings settings() const override {
    rlimit rl{};
    ::getrlimit(RLIMIT_SIGPENDING, &rl);
    return {
        {"rt_signal", sig_},
        {"rlimit_sigpending", rl.rlim_cur == RLIM_INFINITY
                                  ? -1
                                  : static_cast<std::int64_t>(rl.rlim_cur)}};
  }

 private:
  void block() {
    sigset_t old;
    sys::check_rc("pthread_sigmask", names_[0],
                  ::pthread_sigmask(SIG_BLOCK, &set_, &old));
    blocked_by_us_ = sigismember(&old, sig_) == 0;
  }
  void check_sigpending(const Counts& initial) const {
    rlimit rl{};
    sys::checked("getrlimit", "RLIMIT_SIGPENDING",
                 [&] { return ::getrlimit(RLIMIT_SIGPENDING, &rl); });
    const rlim_t need = 2 * (initial[kEmptyA2B] + initial[kEmptyB2A]);
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
      throw std::runtime_error(
          "signal: RLIMIT_SIGPENDING is " + std::to_string(rl.rlim_cur) +
          ", below the " + std::to_string(need) +
          " queued signals this transport may need; raise it (ulimit -i)");
    }
  }

  const int sig_;
  sigset_t set_;
  bool blocked_by_us_ = false;
  Endpoints* ends_ = nullptr;
  pid_t my_pid_ = 0, other_pid_ = 0, other_tid_ = 0;
  uid_t my_uid_ = 0;
  Counts credit_{};
  std::array<std::string, kCounters> names_;
};

}  // namespace

TransportInfo signal_transport() {
  return {"signal",
          "memfd payload, one queued real-time signal (SIGRTMIN+1, "
          "rt_tgsigqueueinfo/sigwaitinfo) per hand-off",
          mailbox_caps("RLIMIT_SIGPENDING (ulimit -i) bounds queued signals; "
                       "the signal is blocked in both processes"),
          [](const Config& c) {
            return make_mailbox(c, memfd_region(c, "signal"),
                                std::make_unique<SignalNotifier>());
          },
          [] { return std::optional<std::string>(); }};
}

}  // namespace ipcb::transports
