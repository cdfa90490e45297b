#include "transports/mailbox.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <stdexcept>

#include "sys/checked.hpp"
#include "sys/fd.hpp"
#include "sys/memory.hpp"
#include "sys/space.hpp"
#include "transports/capacity.hpp"

namespace ipcb::transports {
namespace {

constexpr std::uint64_t kMagic = 0x31786f626c69616dULL;  // "mailbox1"
constexpr std::size_t kLine = 64;
constexpr std::size_t kPage = 4096;
constexpr std::size_t kRingBudgetBytes = 4u << 20;  // per direction
constexpr std::size_t kMinSlots = 2, kMaxSlots = 16;
constexpr std::size_t kMaxMessageBytes = std::size_t{1} << 30;
constexpr std::size_t kPayloadOffset = kLine;  // the length word's line first

std::size_t round_up(std::size_t n, std::size_t to) {
  return (n + to - 1) / to * to;
}

// At offset 0 of the region, written by the driver in prepare().
struct Header {
  std::uint64_t magic;
  std::uint64_t total_bytes;
  std::uint64_t slots;
  std::uint64_t slot_stride;
};

// Where everything lives; both sides compute it from the same config.
//   [header][notifier state][pad to page][ring a->b][ring b->a]
struct Layout {
  std::size_t slots = 0, slot_stride = 0, sync_offset = kLine, ring_bytes = 0,
              ring_offset = 0, total_bytes = 0;

  Layout(std::size_t max_message_bytes, std::size_t capacity_bytes,
         std::size_t max_slots, std::size_t sync_bytes) {
    if (max_message_bytes > kMaxMessageBytes) {
      throw std::invalid_argument(
          "shared-memory mailbox: messages above 1 GiB are not supported (" +
          std::to_string(max_message_bytes) + " B asked)");
    }
    slot_stride = round_up(kPayloadOffset + max_message_bytes, kLine);
    slots = capacity_bytes == 0
                ? mailbox_slots(max_message_bytes)
                : mailbox_slots(max_message_bytes, capacity_bytes, max_slots);
    ring_bytes = round_up(slots * slot_stride, kPage);
    ring_offset = round_up(sync_offset + round_up(sync_bytes, kLine), kPage);
    total_bytes = ring_offset + 2 * ring_bytes;
  }
  std::byte* slot(std::byte* base, int dir, std::size_t i) const {
    return base + ring_offset + static_cast<std::size_t>(dir) * ring_bytes +
           i * slot_stride;
  }
};

int full(int dir) { return 2 * dir; }
int empty(int dir) { return 2 * dir + 1; }

class MailboxTransport final : public Transport {
 public:
  MailboxTransport(const Config& c, std::unique_ptr<Region> r,
                   std::unique_ptr<Notifier> n)
      : config_(c),
        region_(std::move(r)),
        notifier_(std::move(n)),
        layout_(c.max_message_bytes, c.capacity_bytes, notifier_->max_slots(),
                notifier_->shared_bytes()) {}

  void prepare() override {
    region_->create(layout_.total_bytes);
    std::byte* base = region_->base();
    std::memset(base, 0, layout_.ring_offset);  // header + notifier state
    const Header h{kMagic, layout_.total_bytes, layout_.slots,
                   layout_.slot_stride};
    std::memcpy(base, &h, sizeof h);
    notifier_->create(base + layout_.sync_offset, initial());
  }
  std::vector<int> inherited_fds() const override {
    std::vector<int> fds = region_->inherited_fds();
    for (int fd : notifier_->inherited_fds()) fds.push_back(fd);
    return fds;
  }
  nlohmann::json handoff() const override {
    return {{"region", region_->handoff()}, {"notifier", notifier_->handoff()}};
  }
  void adopt(const nlohmann::json& h) override {
    region_->attach(h.at("region"), layout_.total_bytes);
    check_header();
    notifier_->attach(h.at("notifier"), region_->base() + layout_.sync_offset,
                      initial());
  }
  void connect(Role role) override {
    out_ = role == Role::kDriver ? 0 : 1;
    in_ = 1 - out_;
    // Page tables writable before timing.
    sys::prefault(region_->base(), layout_.total_bytes);
    notifier_->connect(role);
  }
  void send(const std::byte* d, std::size_t n) override {
    if (n > config_.max_message_bytes) throw_too_big(n);
    notifier_->wait(empty(out_));
    std::atomic_thread_fence(std::memory_order_acquire);
    std::byte* slot = layout_.slot(region_->base(), out_, out_next_);
    std::memcpy(slot + kPayloadOffset, d, n);
    const std::uint64_t len = n;
    std::memcpy(slot, &len, sizeof len);
    std::atomic_thread_fence(std::memory_order_release);
    notifier_->post(full(out_));
    if (++out_next_ == layout_.slots) out_next_ = 0;
  }
  void recv(std::byte* d, std::size_t n) override {
    notifier_->wait(full(in_));
    std::atomic_thread_fence(std::memory_order_acquire);
    const std::byte* slot = layout_.slot(region_->base(), in_, in_next_);
    std::uint64_t len = 0;
    std::memcpy(&len, slot, sizeof len);
    if (len != n) throw_wrong_size(len, n);
    std::memcpy(d, slot + kPayloadOffset, n);
    std::atomic_thread_fence(std::memory_order_release);
    notifier_->post(empty(in_));
    if (++in_next_ == layout_.slots) in_next_ = 0;
  }
  void teardown() noexcept override {
    // Both remove only what they created, so this is safe after a prepare()
    // that failed half-way, and idempotent.
    notifier_->remove();
    region_->remove();
  }
  Capacity capacity() const override {
    // Read back from the header the driver wrote, as the peer checked it.
    Header h{};
    std::memcpy(&h, region_->base(), sizeof h);
    const auto applied = static_cast<std::int64_t>(h.slots) *
                         static_cast<std::int64_t>(config_.max_message_bytes);
    const bool capped = layout_.slots == notifier_->max_slots();
    return read_capacity(
        applied, config_.capacity_bytes,
        "region header: slots per direction x message size",
        capped ? notifier_->slots_limit()
               : "whole slots of " + std::to_string(config_.max_message_bytes) +
                     " B",
        "");
  }
  std::map<std::string, std::int64_t> applied_settings() const override {
    Settings s = region_->settings();
    s.merge(notifier_->settings());
    s["mailbox_slots_per_direction"] = static_cast<std::int64_t>(layout_.slots);
    s["mailbox_slot_bytes"] = static_cast<std::int64_t>(layout_.slot_stride);
    s["mailbox_region_bytes"] = static_cast<std::int64_t>(layout_.total_bytes);
    return s;
  }

 private:
  Counts initial() const {
    const auto n = static_cast<std::uint32_t>(layout_.slots);
    return {0, n, 0, n};
  }
  void check_header() const {
    Header h;
    std::memcpy(&h, region_->base(), sizeof h);
    if (h.magic != kMagic || h.total_bytes != layout_.total_bytes ||
        h.slots != layout_.slots || h.slot_stride != layout_.slot_stride) {
      throw std::runtime_error(region_->what() +
                               ": not a mailbox of this layout (magic, size "
                               "or slot count differ from this side's)");
    }
  }
  [[noreturn]] void throw_too_big(std::size_t n) const {
    throw std::length_error(region_->what() + ": message of " +
                            std::to_string(n) + " B exceeds the slot size " +
                            std::to_string(config_.max_message_bytes) + " B");
  }
  [[noreturn]] void throw_wrong_size(std::uint64_t got, std::size_t n) const {
    throw std::runtime_error(region_->what() + ": expected a message of " +
                             std::to_string(n) + " B, the slot holds " +
                             std::to_string(got) + " B");
  }

  Config config_;
  std::unique_ptr<Region> region_;      // destroyed last: the notifier's
  std::unique_ptr<Notifier> notifier_;  // state may live inside it
  Layout layout_;
  int out_ = 0, in_ = 1;  // direction indices: 0 is a->b
  std::size_t out_next_ = 0, in_next_ = 0;
};

}  // namespace

const char* counter_name(int counter) {
  static const char* const kNames[kCounters] = {"full a->b", "empty a->b",
                                                "full b->a", "empty b->a"};
  return counter >= 0 && counter < kCounters ? kNames[counter] : "?";
}

std::size_t mailbox_slots(std::size_t max_message_bytes) {
  const std::size_t stride =
      round_up(kPayloadOffset + max_message_bytes, kLine);
  return std::clamp(kRingBudgetBytes / stride, kMinSlots, kMaxSlots);
}

std::size_t mailbox_slots(std::size_t max_message_bytes,
                          std::size_t capacity_bytes, std::size_t max_slots) {
  const std::size_t size = std::max<std::size_t>(max_message_bytes, 1);
  return std::clamp<std::size_t>(capacity_bytes / size, 1,
                                 std::max<std::size_t>(max_slots, 1));
}

void FdRegion::map_new(sys::Fd fd, std::size_t bytes,
                       const std::string& transport,
                       const sys::SpaceSite& site) {
  sys::size_and_reserve(fd.get(), bytes, what_, transport, site);
  map_existing(std::move(fd), bytes);
}

void FdRegion::map_existing(sys::Fd fd, std::size_t bytes) {
  struct stat st {};
  sys::checked("fstat", what_, [&] { return ::fstat(fd.get(), &st); });
  if (static_cast<std::size_t>(st.st_size) != bytes) {
    throw std::runtime_error(what_ + ": is " + std::to_string(st.st_size) +
                             " B long, expected " + std::to_string(bytes) +
                             " B");
  }
  map_ = sys::Mapping(fd.get(), bytes, what_);
  base_ = map_.get();
  fd_ = std::move(fd);
}

std::unique_ptr<Transport> make_mailbox(const Config& config,
                                        std::unique_ptr<Region> region,
                                        std::unique_ptr<Notifier> notifier) {
  return std::make_unique<MailboxTransport>(config, std::move(region),
                                            std::move(notifier));
}

Capabilities mailbox_caps(const std::string& limits, std::vector<Wait> waits) {
  Capabilities caps;
  caps.preserves_boundaries = true;
  caps.waits = std::move(waits);
  caps.limits = limits;
  caps.limits +=
      "; slots per direction: as many as fit in 4 MiB, 2..16 "
      "(--capacity=equal: "
      "budget / message size)";
  return caps;
}

std::string kernel_name(const Config& config, const char* suffix) {
  std::string name = "/";
  name += config.name_prefix;
  name += suffix;
  return name;
}

}  // namespace ipcb::transports
