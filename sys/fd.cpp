#include "sys/fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "sys/checked.hpp"

namespace ipcb::sys {

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) reset(o.release());
  return *this;
}

void Fd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

void write_exact(int fd, const std::byte* data, std::size_t n,
                 std::string_view object) {
  while (n > 0) {
    auto w = checked("write", object, [&] { return ::write(fd, data, n); });
    data += w;
    n -= static_cast<std::size_t>(w);
  }
}

void read_exact(int fd, std::byte* data, std::size_t n,
                std::string_view object) {
  while (n > 0) {
    auto r = checked("read", object, [&] { return ::read(fd, data, n); });
    if (r == 0) {
      throw std::runtime_error("read(" + std::string(object) +
                               "): the other side closed the connection with " +
                               std::to_string(n) + " bytes still expected");
    }
    data += r;
    n -= static_cast<std::size_t>(r);
  }
}

void set_cloexec(int fd, bool on, std::string_view object) {
  checked("fcntl(F_SETFD)", object,
          [&] { return ::fcntl(fd, F_SETFD, on ? FD_CLOEXEC : 0); });
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace ipcb::sys
