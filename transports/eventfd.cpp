// eventfd: a memfd (sys::create_sealed_memfd: sealed against resizing,
// every page reserved) carrying the
// payload, mapped MAP_SHARED by both sides (the peer inherits the
// descriptor across exec), with four eventfds as the full/empty counters of
// the mailbox (see mailbox.hpp): post writes 1, wait reads the whole
// 8-byte counter and keeps what it took as local credit, so a burst of posts
// costs the waiter one read. Each counter has exactly one waiting side, so
// the credit never needs sharing. All descriptors are created O_CLOEXEC in
// prepare() and inherited by the peer. Waits: block (read sleeps; the
// harness's SIGUSR1 ends it with EINTR) or spin (EFD_NONBLOCK reads polled,
// checking cancelled(); every poll is still a system call, unlike a shared
// memory flag). Limits: memory (shmem) for the region, reserved up front
// (posix_fallocate) so that a shortage is an error in prepare(), not a
// SIGBUS later; no name anywhere, so nothing to unlink; message size any.
#include <sys/eventfd.h>
#include <unistd.h>

#include "sys/cancel.hpp"
#include "sys/checked.hpp"
#include "sys/fd.hpp"
#include "sys/memory.hpp"
#include "transports/mailbox.hpp"
#include "transports/registry.hpp"

namespace ipcb::transports {
namespace {

class MemfdRegion final : public FdRegion {
 public:
  MemfdRegion(const Config& c, const char* transport)
      : label_(c.name_prefix + "-mailbox"), transport_(transport) {
    what_ = "memfd " + label_;
  }
  void create(std::size_t bytes) override {
    map_existing(sys::create_sealed_memfd(label_, bytes, what_, transport_),
                 bytes);
  }
  std::vector<int> inherited_fds() const override { return {fd_.get()}; }
  nlohmann::json handoff() const override { return {{"memfd", fd_.get()}}; }
  void attach(const nlohmann::json& h, std::size_t bytes) override {
    map_existing(sys::Fd(h.at("memfd").get<int>()), bytes);
  }
  void remove() noexcept override {}  // nameless: gone with its last user

 private:
  std::string label_;
  std::string transport_;
};

class EventfdNotifier final : public Notifier {
 public:
  explicit EventfdNotifier(Wait wait) : spin_(wait == Wait::kSpin) {
    for (int i = 0; i < kCounters; ++i) {
      names_[i] = "eventfd ";
      names_[i] += counter_name(i);
    }
  }
  void create(std::byte*, const Counts& initial) override {
    const int flags = EFD_CLOEXEC | (spin_ ? EFD_NONBLOCK : 0);
    for (int i = 0; i < kCounters; ++i) {
      fds_[i] = sys::Fd(sys::checked("eventfd", names_[i],
                                     [&] { return ::eventfd(0, flags); }));
    }
    credit_ = initial;
  }
  std::vector<int> inherited_fds() const override {
    std::vector<int> fds;
    for (const sys::Fd& fd : fds_) fds.push_back(fd.get());
    return fds;
  }
  nlohmann::json handoff() const override { return {{"fds", inherited_fds()}}; }
  void attach(const nlohmann::json& h, std::byte*,
              const Counts& initial) override {
    auto fds = h.at("fds").get<std::vector<int>>();
    for (int i = 0; i < kCounters; ++i) fds_[i].reset(fds.at(i));
    credit_ = initial;
  }
  void wait(int c) override {
    if (credit_[c] == 0) credit_[c] = take(c);
    --credit_[c];
  }
  void post(int c) override {
    const std::uint64_t one = 1;
    sys::checked("write", names_[c],
                 [&] { return ::write(fds_[c].get(), &one, sizeof one); });
  }
  Settings settings() const override {
    return {{"eventfd_nonblocking_spin", spin_}};
  }

 private:
  // Reads (and so resets) counter c: how many posts arrived since last time.
  // spin: the descriptor is non-blocking, polled with a pause between reads.
  std::uint32_t take(int c) {
    std::uint64_t v = 0;
    const int fd = fds_[c].get();
    sys::checked_poll(
        "read", names_[c], spin_, EAGAIN,
        [&] { return ::read(fd, &v, sizeof v); }, [] { sys::cpu_relax(); });
    return static_cast<std::uint32_t>(v);
  }

  bool spin_;
  std::array<sys::Fd, kCounters> fds_;
  Counts credit_{};
  std::array<std::string, kCounters> names_;
};

}  // namespace

std::unique_ptr<Region> memfd_region(const Config& config,
                                     const char* transport) {
  return std::make_unique<MemfdRegion>(config, transport);
}

TransportInfo eventfd_transport() {
  return {"eventfd",
          "memfd payload (inherited), four eventfds as full/empty counters",
          mailbox_caps("region is shmem (memory); eventfds inherited; spin "
                       "polls non-blocking reads (a system call each)",
                       {Wait::kBlock, Wait::kSpin}),
          [](const Config& c) {
            return make_mailbox(c, memfd_region(c, "eventfd"),
                                std::make_unique<EventfdNotifier>(c.wait));
          },
          [] { return std::optional<std::string>(); }};
}

}  // namespace ipcb::transports
