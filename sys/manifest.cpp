#include "sys/manifest.hpp"

#include <fcntl.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "sys/checked.hpp"
#include "sys/fd.hpp"

namespace ipcb::sys {

void record_sysv_object(const std::string& dir, const char* kind, int id,
                        const std::string& label) {
  record_named_object(dir, kind, std::to_string(id) + " " + label);
}

void record_named_object(const std::string& dir, const char* kind,
                         const std::string& name) {
  std::string path = dir + "/ipc-objects";
  Fd fd(checked("open", path, [&] {
    return ::open(path.c_str(),
                  O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
  }));
  std::string line = kind;
  line += ' ';
  line += name;
  line += '\n';
  write_exact(fd.get(), reinterpret_cast<const std::byte*>(line.data()),
              line.size(), path);
}

void record_process(const std::string& dir, int pid,
                    unsigned long long start_time, const std::string& exe) {
  record_named_object(
      dir, "proc",
      std::to_string(pid) + " " + std::to_string(start_time) + " " + exe);
}

key_t sysv_key(std::string_view prefix, std::string_view label) {
  std::uint32_t h = 2166136261u;  // FNV-1a offset basis
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 16777619u;  // FNV prime
    }
  };
  mix(prefix);
  mix("/");
  mix(label);
  if (h == 0) h = 1;  // 0 is IPC_PRIVATE
  return static_cast<key_t>(h);
}

std::string sysv_key_hex(key_t key) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08x", static_cast<std::uint32_t>(key));
  return text;
}

}  // namespace ipcb::sys
