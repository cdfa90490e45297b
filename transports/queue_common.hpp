// Helpers shared by the message-queue transports (posix_mq, sysv_mq,
// bipc_mq): reading a numeric kernel limit, and the error for a queue
// message whose size the receiver did not expect. (Their spin strategy polls
// with sys::checked_poll.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "sys/fd.hpp"

namespace ipcb::transports {

// A number from /proc/sys (e.g. fs/mqueue/msgsize_max); fallback if the file
// is absent or not a number.
inline std::int64_t read_limit(const std::string& path, std::int64_t fallback) {
  try {
    return std::stoll(sys::read_text_file(path));
  } catch (const std::exception&) {
    return fallback;
  }
}

// The error for a received queue message that does not fit the message
// being reassembled: the two sides disagree on the size.
[[noreturn]] inline void throw_size_mismatch(std::string_view call,
                                             std::string_view object,
                                             std::size_t got,
                                             std::size_t expected) {
  std::string s(call);
  s += "(";
  s += object;
  s += "): got a ";
  s += std::to_string(got);
  s += " B queue message with ";
  s += std::to_string(expected);
  s += " B still expected (the two sides disagree on the message size)";
  throw std::runtime_error(s);
}

}  // namespace ipcb::transports
