// File descriptors and small files.
//
// Contract. Fd is a move-only owner of a file descriptor: it closes it on
// destruction and on reset(). read_exact/write_exact move every byte of a
// stream, looping over short transfers, through checked() (checked.hpp).
// read_text_file never throws for a file that is absent.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace ipcb::sys {

// Move-only owner of a file descriptor; closes on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

// Writes/reads exactly n bytes, looping over short transfers. read_exact
// throws when the other end closed before n bytes arrived.
void write_exact(int fd, const std::byte* data, std::size_t n,
                 std::string_view object);
void read_exact(int fd, std::byte* data, std::size_t n,
                std::string_view object);

void set_cloexec(int fd, bool on, std::string_view object);

// Reads a small text file such as /proc/sys/fs/pipe-max-size, without its
// trailing newlines and spaces; "" if absent.
std::string read_text_file(const std::string& path);

}  // namespace ipcb::sys
