#include "harness/release.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "sys/checked.hpp"

namespace ipcb::harness {

ReleaseGate::ReleaseGate()
    : fd_(sys::checked("eventfd", "release gate",
                       [] { return ::eventfd(0, EFD_CLOEXEC); })) {}

void ReleaseGate::release() {
  const std::uint64_t one = 1;
  sys::checked("write", "release gate", [&] {
    return static_cast<int>(::write(fd_.get(), &one, sizeof one));
  });
}

namespace {
// poll(2) on fd for readable; its result.
int poll_readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return sys::checked("poll", "release gate",
                      [&] { return ::poll(&p, 1, timeout_ms); });
}
}  // namespace

void ReleaseGate::wait(int fd) {
  while (poll_readable(fd, -1) == 0) {
  }
}

bool ReleaseGate::released(int fd) { return poll_readable(fd, 0) > 0; }

}  // namespace ipcb::harness

namespace ipcb::harness {

FinishCount::FinishCount()
    : fd_(sys::checked("eventfd", "finish count", [] {
        return ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
      })) {}

std::int64_t FinishCount::take(int fd) {
  std::uint64_t n = 0;  // stays 0 when nobody added one since (EAGAIN)
  sys::checked("read", "finish count", [&] {
    const auto got = ::read(fd, &n, sizeof n);
    return got < 0 && errno == EAGAIN ? 0 : static_cast<int>(got);
  });
  return static_cast<std::int64_t>(n);
}

void FinishCount::add_one(int fd) {
  const std::uint64_t one = 1;
  sys::checked("write", "finish count",
               [&] { return static_cast<int>(::write(fd, &one, sizeof one)); });
}

}  // namespace ipcb::harness
