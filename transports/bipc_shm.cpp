// bipc_shm: Boost.Interprocess managed_shared_memory (create_only, name
// "/<prefix>-bipc", permissions 0600) as the region: the mailbox (see
// mailbox.hpp) is one page-aligned block allocated in the segment, found by
// the peer through a named handle; four boost::interprocess::
// interprocess_semaphore in it are the full/empty counters.
// What Boost 1.74 does on Linux: the name gets a leading '/' only if it
// lacks one and goes to shm_open, so the object is /dev/shm/<prefix>-bipc;
// interprocess_semaphore wraps an unnamed process-shared sem_t (so the
// hand-off is shm_sem's; the difference measured is Boost's wrapper and
// segment). Its wait() throws on EINTR and never polls a cancel flag, so
// waits are try_wait() (the fast path), then timed_wait() slices of 50 ms
// polling cancelled() (an EINTR exception is treated as a wake-up).
// Limits: as shm_sem (the size of /dev/shm), plus 64 KiB of segment
// bookkeeping; message size any. shared_memory_object::remove in teardown.
// Space: Boost creates and truncates (sparse) the segment and writes its
// bookkeeping at both ends in its constructor, so a /dev/shm too small would
// end in SIGBUS. prepare() checks first that /dev/shm has the segment's
// bytes free (statvfs), and right after Boost made it reserves all of it
// (posix_fallocate through /dev/shm/<name>) before the mailbox block is
// allocated and zeroed; either failing is an error naming the segment, the
// bytes needed and available. Residual race: another process filling
// /dev/shm between the check and Boost's constructor can still make that
// constructor fault with SIGBUS.
#include <boost/date_time/posix_time/posix_time_types.hpp>
#include <boost/interprocess/managed_shared_memory.hpp>
#include <boost/interprocess/sync/interprocess_semaphore.hpp>
#include <cstring>
#include <new>
#include <optional>

#include "sys/cancel.hpp"
#include "sys/checked.hpp"
#include "sys/space.hpp"
#include "transports/mailbox.hpp"
#include "transports/registry.hpp"

namespace ipcb::transports {
namespace {

namespace bip = boost::interprocess;
using Handle = bip::managed_shared_memory::handle_t;

constexpr std::size_t kSegmentOverhead = 64 << 10;
constexpr std::size_t kBlockAlign = 4096;
constexpr const char* kBlockName = "mailbox";

class BoostRegion final : public Region {
 public:
  explicit BoostRegion(const Config& c) : name_(kernel_name(c, "-bipc")) {
    what_ = "Boost.Interprocess segment " + name_;
  }
  void create(std::size_t bytes) override {
    const std::size_t segment_bytes = bytes + kSegmentOverhead;
    const std::string object = "bipc_shm: " + what_;
    const sys::SpaceSite site = sys::dev_shm_site();
    sys::require_free_space(segment_bytes, object, site);
    try {
      segment_.emplace(bip::create_only, name_.c_str(), segment_bytes, nullptr,
                       bip::permissions(0600));
    } catch (const bip::interprocess_exception& e) {
      if (e.get_error_code() == bip::already_exists_error)
        sys::throw_name_taken("managed_shared_memory(create_only)", name_);
      // Any other failure may come after Boost made the object (it then
      // leaves it 1 byte long): the name is this run's alone, so remove()
      // unlinks it.
      created_ = true;
      fail("managed_shared_memory(create_only)", e);
    }
    created_ = true;
    sys::reserve_space_at("/dev/shm" + name_, object, site);
    void* p = segment_->allocate_aligned(bytes, kBlockAlign);
    segment_->construct<Handle>(kBlockName)(
        segment_->get_handle_from_address(p));
    base_ = static_cast<std::byte*>(p);
    std::memset(base_, 0, bytes);
  }
  void attach(const nlohmann::json&, std::size_t bytes) override {
    try {
      segment_.emplace(bip::open_only, name_.c_str());
    } catch (const bip::interprocess_exception& e) {
      fail("managed_shared_memory(open_only)", e);
    }
    Handle* h = segment_->find<Handle>(kBlockName).first;
    if (h == nullptr || segment_->get_size() < bytes) {
      throw std::runtime_error(what_ + ": no mailbox block of " +
                               std::to_string(bytes) + " B in it");
    }
    base_ = static_cast<std::byte*>(segment_->get_address_from_handle(*h));
  }
  void remove() noexcept override {
    if (created_) bip::shared_memory_object::remove(name_.c_str());
    created_ = false;
  }
  Settings settings() const override {
    if (!segment_) return {};
    return {{"bipc_segment_bytes",
             static_cast<std::int64_t>(segment_->get_size())}};
  }

 private:
  [[noreturn]] void fail(const char* call,
                         const bip::interprocess_exception& e) const {
    std::string msg = call;
    msg += "(" + name_ + "): ";
    msg += e.what();
    throw std::runtime_error(msg);
  }

  std::string name_;
  std::optional<bip::managed_shared_memory> segment_;
  bool created_ = false;
};

// One semaphore per cache line.
constexpr std::size_t kSemStride = 64;
static_assert(sizeof(bip::interprocess_semaphore) <= kSemStride);

class BoostSemNotifier final : public Notifier {
 public:
  BoostSemNotifier() {
    for (int i = 0; i < kCounters; ++i) {
      names_[i] = "interprocess_semaphore ";
      names_[i] += counter_name(i);
    }
  }
  std::size_t shared_bytes() const override { return kCounters * kSemStride; }
  void create(std::byte* shared, const Counts& initial) override {
    for (int i = 0; i < kCounters; ++i) {
      sems_[i] =
          new (shared + i * kSemStride) bip::interprocess_semaphore(initial[i]);
    }
  }
  void attach(const nlohmann::json&, std::byte* shared,
              const Counts&) override {
    for (int i = 0; i < kCounters; ++i) {
      sems_[i] = std::launder(reinterpret_cast<bip::interprocess_semaphore*>(
          shared + i * kSemStride));
    }
  }
  void wait(int c) override {
    bip::interprocess_semaphore& s = *sems_[c];
    try {
      if (s.try_wait()) return;
      for (;;) {
        try {
          if (s.timed_wait(boost::posix_time::microsec_clock::universal_time() +
                           boost::posix_time::milliseconds(50)))
            return;
        } catch (const bip::interprocess_exception& e) {
          if (e.get_native_error() != EINTR) throw;
        }
        if (sys::cancelled()) sys::throw_cancelled("timed_wait", names_[c]);
      }
    } catch (const bip::interprocess_exception& e) {
      throw std::runtime_error(names_[c] + ": wait: " + e.what());
    }
  }
  void post(int c) override {
    try {
      sems_[c]->post();
    } catch (const bip::interprocess_exception& e) {
      throw std::runtime_error(names_[c] + ": post: " + e.what());
    }
  }

 private:
  std::array<bip::interprocess_semaphore*, kCounters> sems_{};
  std::array<std::string, kCounters> names_;
};

}  // namespace

TransportInfo bipc_shm_transport() {
  return {"bipc_shm",
          "Boost.Interprocess managed_shared_memory payload, "
          "interprocess_semaphore (a sem_t wrapper on Linux) in it",
          mailbox_caps("/dev/shm (tmpfs) size caps the segment (+64 KiB "
                       "bookkeeping)"),
          [](const Config& c) {
            return make_mailbox(c, std::make_unique<BoostRegion>(c),
                                std::make_unique<BoostSemNotifier>());
          },
          [] { return std::optional<std::string>(); }};
}

}  // namespace ipcb::transports
