// Names for IPC objects, unique per run and unpredictable to other users.
//
// IpcNames creates, exclusively and with mode 0700, a private directory
// /tmp/ipcb_<pid>_<16 hex> for file-system objects (FIFOs, socket files) and
// gives the same "ipcb_<pid>_<16 hex>" prefix for kernel-named objects (POSIX
// shm and queues, System V keys). The destructor removes the directory and
// anything left in it. The pid makes stale objects of dead runs findable.
#pragma once

#include <string>

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

// Removes a directory and the plain entries in it (no recursion). Never
// throws; returns false if the directory remains.
bool remove_private_dir(const std::string& dir) noexcept;

}  // namespace ipcb::harness
