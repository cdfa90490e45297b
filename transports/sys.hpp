// Checked system calls shared by every transport and by the harness.
//
// Every call goes through checked(): it retries EINTR (unless the harness has
// cancelled the run because the other side is gone) and throws SysError
// naming the call, the IPC object and strerror. Fd is a move-only owner of a
// file descriptor. read_exact/write_exact move every byte of a stream.
#pragma once

#include <sys/types.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace ipcb::transports {

// An error from a system call: "write(pipe a->b): Broken pipe".
class SysError : public std::runtime_error {
 public:
  SysError(std::string_view call, std::string_view object, int err);
  int error_number() const noexcept { return err_; }

 private:
  int err_;
};

// Thrown when a blocking call was interrupted because the harness cancelled
// the run (peer died, timed out, or the user interrupted).
class Cancelled : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Cancellation token of this process. The harness sets it from its watchdog
// and then interrupts the blocked thread with a signal; spin loops poll it.
// request_stop() (async-signal-safe, for SIGINT/SIGTERM) cancels for good:
// reset_cancel() does not clear it.
void request_cancel() noexcept;
void reset_cancel() noexcept;
void request_stop(int signal_number) noexcept;
int stop_signal() noexcept;  // 0 unless request_stop() was called
bool cancelled() noexcept;
[[noreturn]] void throw_cancelled(std::string_view call,
                                  std::string_view object);
// For the driver's last-resort watcher (harness/rescue.hpp): `fd` (an
// eventfd, or -1 for none) is written to, async-signal-safely, whenever the
// run becomes cancelled or stopped, is reset, or note_progress() is called.
void set_cancel_watch_fd(int fd) noexcept;
// The driver is still moving while cancelled (tearing down, reaping): each
// call counts as progress for the watcher, as reset_cancel() does.
void note_progress() noexcept;
std::uint64_t progress_count() noexcept;

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

// System V objects are created with a key derived from the run's name
// prefix and a label naming the object within the run (sysv_key; mode 0600,
// IPC_CREAT|IPC_EXCL, so an existing key is refused, never reused), and each
// is recorded here, in "<dir>/ipc-objects", as one "<kind> <id> <label>"
// line ("shm", "sem" or "msg"), so that the objects of a run that died can
// be found, checked to be the run's (key, creator and owner) and removed.
void record_sysv_object(const std::string& dir, const char* kind, int id,
                        const std::string& label);
// The same for POSIX message queues when /dev/mqueue may not be mounted:
// a "mq <name>" line.
void record_named_object(const std::string& dir, const char* kind,
                         const std::string& name);

// The System V key of the object `label` of the run whose names start with
// `prefix`: the 32-bit FNV-1a hash of "<prefix>/<label>", never IPC_PRIVATE.
// Stable across builds and machines (clean-up recomputes it to check that an
// object listed in a manifest is the run's).
key_t sysv_key(std::string_view prefix, std::string_view label);
// "0x1234abcd": a key as ipcs(1) shows it.
std::string sysv_key_hex(key_t key);

// Reads a small text file such as /proc/sys/fs/pipe-max-size; "" if absent.
std::string read_text_file(const std::string& path);

}  // namespace ipcb::transports
