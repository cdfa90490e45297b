// Names for IPC objects, unique per run and unpredictable to other users.
//
// IpcNames creates, exclusively and with mode 0700 (whatever the umask), a
// private directory /tmp/ipcb_<pid>_<16 hex> for file-system objects (FIFOs,
// socket files) and gives the same "ipcb_<pid>_<16 hex>" prefix, the run id,
// for kernel-named objects (POSIX shm and queues, System V keys). The
// destructor removes the directory and the plain entries left in it. The pid
// makes stale objects of dead runs findable.
#pragma once

#include <string>
#include <vector>

namespace ipcb::harness {

// "ipcb_<pid>_<16 random hex digits>", from getrandom().
std::string unique_prefix();

class IpcNames {
 public:
  explicit IpcNames(const std::string& base_dir = "/tmp");
  ~IpcNames();
  IpcNames(const IpcNames&) = delete;
  IpcNames& operator=(const IpcNames&) = delete;

  const std::string& prefix() const { return prefix_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string prefix_;
  std::string dir_;
};

// Removes a directory of this user and the entries in it that are not
// directories (no recursion), never following a symbolic link: when `dir`
// itself is one, or is not owned by the effective uid, nothing is touched.
// Never throws; returns false if the directory remains.
bool remove_private_dir(const std::string& dir) noexcept;

// An entry that unlink_plain_entries() left, with the errno of its unlink
// (EISDIR for a directory).
struct EntryLeft {
  std::string name;
  int error = 0;
};

// Unlinks every entry of the directory open as `dir_fd` that is not itself a
// directory, relative to that fd (a symbolic link is removed, never
// followed). Returns the entries it left.
std::vector<EntryLeft> unlink_plain_entries(int dir_fd);

}  // namespace ipcb::harness
