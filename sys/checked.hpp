// Checked system calls: a failing call becomes an error that names the call,
// the object and strerror ("write(pipe a->b): Broken pipe").
//
// Contract. checked() is for calls that return -1 and set errno: it retries
// EINTR, unless the harness has cancelled the run (cancel.hpp), in which case
// it throws Cancelled; any other failure throws SysError. create_exclusive()
// does the same for a call creating a named object exclusively and refuses a
// name that is taken. Nothing here allocates unless a call fails.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string_view>

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
