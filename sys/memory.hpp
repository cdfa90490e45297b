// Shared memory: the owner of a mapping, the sealed memfd, prefaulting.
//
// Contract. Mapping owns one MAP_SHARED read-write mapping of a descriptor
// and unmaps it on destruction; a failing mmap (MAP_FAILED) throws SysError
// naming the object. create_sealed_memfd() makes a nameless memory file
// whose every page is reserved (space.hpp) and whose size can never change
// again, so that no mapping of it can fault with SIGBUS. prefault() changes
// no byte and never fails: it only makes the pages present and writable, so
// that the first touch in a timed loop takes no page fault.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "sys/fd.hpp"

namespace ipcb::sys {

// Move-only owner of a MAP_SHARED, PROT_READ | PROT_WRITE mapping.
class Mapping {
 public:
  Mapping() = default;
  // Maps the first `bytes` of fd; `object` names it in the error.
  Mapping(int fd, std::size_t bytes, std::string_view object);
  Mapping(Mapping&& o) noexcept;
  Mapping& operator=(Mapping&& o) noexcept;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() { reset(); }
  std::byte* get() const noexcept { return p_; }
  std::size_t size() const noexcept { return bytes_; }
  explicit operator bool() const noexcept { return p_ != nullptr; }
  void reset() noexcept;  // unmaps now

 private:
  std::byte* p_ = nullptr;
  std::size_t bytes_ = 0;
};

// A memfd of `bytes` bytes for shared memory: memfd_create(name,
// MFD_CLOEXEC | MFD_ALLOW_SEALING) (`name` shows in /proc/<pid>/fd only),
// sized and reserved by size_and_reserve() in memfd_site(), then sealed
// against shrinking, growing and further seals. `object` names it in errors,
// "<owner>: <object>" in a shortage of memory.
Fd create_sealed_memfd(const std::string& name, std::size_t bytes,
                       const std::string& object, const std::string& owner);

// Makes the page tables of [p, p + bytes) (p page-aligned) present and
// writable: one MADV_POPULATE_WRITE (Linux 5.14+), else an atomic add of 0
// on every page. Neither changes a byte, even while another process writes.
void prefault(std::byte* p, std::size_t bytes) noexcept;

}  // namespace ipcb::sys
