#include "sys/memory.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <utility>

#include "sys/checked.hpp"
#include "sys/space.hpp"

namespace ipcb::sys {

Mapping::Mapping(int fd, std::size_t bytes, std::string_view object) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) throw SysError("mmap", object, errno);
  p_ = static_cast<std::byte*>(p);
  bytes_ = bytes;
}

Mapping::Mapping(Mapping&& o) noexcept
    : p_(std::exchange(o.p_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}

Mapping& Mapping::operator=(Mapping&& o) noexcept {
  if (this != &o) {
    reset();
    p_ = std::exchange(o.p_, nullptr);
    bytes_ = std::exchange(o.bytes_, 0);
  }
  return *this;
}

void Mapping::reset() noexcept {
  if (p_ != nullptr) ::munmap(p_, bytes_);
  p_ = nullptr;
  bytes_ = 0;
}

Fd create_sealed_memfd(const std::string& name, std::size_t bytes,
                       const std::string& object, const std::string& owner) {
  Fd fd(checked("memfd_create", object, [&] {
    return ::memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
  }));
  size_and_reserve(fd.get(), bytes, object, owner, memfd_site());
  checked("fcntl(F_ADD_SEALS)", object, [&] {
    return ::fcntl(fd.get(), F_ADD_SEALS,
                   F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
  });
  return fd;
}

void prefault(std::byte* p, std::size_t bytes) noexcept {
  if (::madvise(p, bytes, MADV_POPULATE_WRITE) == 0) return;
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  for (std::size_t off = 0; off < bytes; off += page) {
    std::atomic_ref<unsigned char>(reinterpret_cast<unsigned char&>(p[off]))
        .fetch_add(0, std::memory_order_relaxed);
  }
}

}  // namespace ipcb::sys
