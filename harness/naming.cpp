#include "harness/naming.hpp"

#include <dirent.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "transports/sys.hpp"

namespace ipcb::harness {

std::string unique_prefix() {
  unsigned char bytes[8];
  std::size_t got = 0;
  while (got < sizeof bytes) {
    auto r = transports::checked("getrandom", "prefix", [&] {
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
  transports::checked("mkdir", dir_,
                      [&] { return ::mkdir(dir_.c_str(), 0700); });
}

IpcNames::~IpcNames() { remove_private_dir(dir_); }

bool remove_private_dir(const std::string& dir) noexcept {
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      ::unlink((dir + "/" + name).c_str());
    }
    ::closedir(d);
  }
  return ::rmdir(dir.c_str()) == 0;
}

}  // namespace ipcb::harness
