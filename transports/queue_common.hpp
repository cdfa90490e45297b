// Helpers shared by the message-queue transports (posix_mq, sysv_mq,
// bipc_mq): reading a numeric kernel limit, a polling variant of checked()
// for the spin strategy, and the error for a name that is already taken.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "sys/cancel.hpp"
#include "sys/checked.hpp"
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

// As checked(), and when `poll` is set a failure with errno `again` (EAGAIN
// for a non-blocking call, ENOMSG for msgrcv(IPC_NOWAIT)) is retried at once
// until it succeeds or the harness cancels the run: the spin strategy.
template <class F>
auto checked_poll(std::string_view call, std::string_view object, bool poll,
                  int again, F&& f) {
  for (;;) {
    bool retry = false;
    auto r = sys::checked(call, object, [&] {
      auto v = f();
      if (v == -1 && poll && errno == again) {
        retry = true;
        return decltype(v){0};
      }
      return v;
    });
    if (!retry) return r;
    if (sys::cancelled()) sys::throw_cancelled(call, object);
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
