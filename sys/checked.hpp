// Checked system calls: a failing call becomes an error that names the call,
// the object and strerror ("write(pipe a->b): Broken pipe").
//
// Contract. Each platform convention has one helper here, and every failure
// is a SysError (or Cancelled):
//   -1 + errno               checked(): retries EINTR, unless the harness has
//                            cancelled the run (cancel.hpp): then Cancelled;
//                            create_exclusive() also refuses a taken name.
//   an error number returned check_rc(): pthread_* and the like.
//   a non-blocking poll      checked_poll(): "try again" (EAGAIN, ENOMSG) is
//                            retried until success or cancellation.
//   MAP_FAILED               sys::Mapping (memory.hpp).
// Nothing here allocates unless a call fails, so the helpers may sit in a
// timed loop.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "sys/cancel.hpp"

namespace ipcb::sys {

// An error from a system call: "write(pipe a->b): Broken pipe".
class SysError : public std::runtime_error {
 public:
  SysError(std::string_view call, std::string_view object, int err);
  int error_number() const noexcept { return err_; }

 private:
  int err_;
};

// Calls f() until it does not fail with EINTR; throws SysError on failure.
// f returns a signed integer, -1 meaning failure with errno set.
template <class F>
auto checked(std::string_view call, std::string_view object, F&& f) {
  for (;;) {
    auto r = f();
    if (r != -1) return r;
    int err = errno;
    if (err != EINTR) throw SysError(call, object, err);
    if (cancelled()) throw_cancelled(call, object);
  }
}

// For calls that return an error number (0: success) instead of setting
// errno: pthread_* and the like (space.cpp retries posix_fallocate's EINTR
// and reads its ENOSPC itself).
inline void check_rc(std::string_view call, std::string_view object, int rc) {
  if (rc != 0) throw SysError(call, object, rc);
}

// A non-blocking poll: as checked(), and when `poll` is set a failure with
// errno `again` (EAGAIN for a non-blocking call or a receive timeout, ENOMSG
// for msgrcv(IPC_NOWAIT)) is retried until it succeeds or the harness
// cancels the run; between() runs before each such retry (a pause, or a
// count of timeouts that may throw).
template <class F, class Between>
auto checked_poll(std::string_view call, std::string_view object, bool poll,
                  int again, F&& f, Between&& between) {
  for (;;) {
    bool retry = false;
    auto r = checked(call, object, [&] {
      auto v = f();
      if (v == -1 && poll && errno == again) {
        retry = true;
        return decltype(v){0};
      }
      return v;
    });
    if (!retry) return r;
    if (cancelled()) throw_cancelled(call, object);
    between();
  }
}

// checked_poll() retrying at once.
template <class F>
auto checked_poll(std::string_view call, std::string_view object, bool poll,
                  int again, F&& f) {
  return checked_poll(call, object, poll, again, std::forward<F>(f), [] {});
}

// The error for an exclusive creation (O_EXCL, IPC_EXCL, Boost create_only)
// that found the name taken: an object we did not make is never reused.
[[noreturn]] void throw_name_taken(std::string_view call,
                                   std::string_view object);

// checked() for a call creating a named object exclusively: EEXIST becomes
// throw_name_taken().
template <class F>
auto create_exclusive(std::string_view call, std::string_view object, F&& f) {
  try {
    return checked(call, object, f);
  } catch (const SysError& e) {
    if (e.error_number() == EEXIST) throw_name_taken(call, object);
    throw;
  }
}

}  // namespace ipcb::sys
