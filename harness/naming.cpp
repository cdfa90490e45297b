#include "harness/naming.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "sys/checked.hpp"
#include "sys/fd.hpp"

namespace ipcb::harness {

std::string unique_prefix() {
  unsigned char bytes[8];
  std::size_t got = 0;
  while (got < sizeof bytes) {
    auto r = sys::checked("getrandom", "prefix", [&] {
      return ::getrandom(bytes + got, sizeof bytes - got, 0);
    });
    got += static_cast<std::size_t>(r);
  }
  char hex[17];
  for (int i = 0; i < 8; ++i) std::snprintf(hex + 2 * i, 3, "%02x", bytes[i]);
  return "ipcb_" + std::to_string(::getpid()) + "_" + hex;
}

IpcNames::IpcNames(const std::string& base_dir) : prefix_(unique_prefix()) {
  dir_ = base_dir + "/" + prefix_;
  sys::checked("mkdir", dir_, [&] { return ::mkdir(dir_.c_str(), 0700); });
  // Exactly 0700 whatever the umask: clean-up trusts no other mode.
  try {
    sys::Fd fd(sys::checked("open", dir_, [&] {
      return ::open(dir_.c_str(),
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }));
    sys::checked("fchmod", dir_, [&] { return ::fchmod(fd.get(), 0700); });
  } catch (...) {
    ::rmdir(dir_.c_str());
    throw;
  }
}

IpcNames::~IpcNames() { remove_private_dir(dir_); }

std::vector<EntryLeft> unlink_plain_entries(int dir_fd) {
  std::vector<EntryLeft> left;
  const int fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) {
    left.push_back({".", errno});
    return left;
  }
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    left.push_back({".", errno});
    ::close(fd);
    return left;
  }
  ::rewinddir(d);
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (::unlinkat(dir_fd, name.c_str(), 0) != 0) left.push_back({name, errno});
  }
  ::closedir(d);
  return left;
}

bool remove_private_dir(const std::string& dir) noexcept {
  try {
    const auto slash = dir.rfind('/');
    std::string parent = ".", base = dir;
    if (slash != std::string::npos) {
      parent = slash == 0 ? "/" : dir.substr(0, slash);
      base = dir.substr(slash + 1);
    }
    sys::Fd up(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!up) return errno == ENOENT;
    sys::Fd fd(::openat(up.get(), base.c_str(),
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return errno == ENOENT;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || st.st_uid != ::geteuid()) return false;
    unlink_plain_entries(fd.get());
    return ::unlinkat(up.get(), base.c_str(), AT_REMOVEDIR) == 0 ||
           errno == ENOENT;
  } catch (...) {
    return false;
  }
}

}  // namespace ipcb::harness
