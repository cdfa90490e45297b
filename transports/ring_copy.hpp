// Copying into and out of a ring's data area at a never-wrapping index,
// shared by the shared-memory rings (spsc_ring.hpp, bcast_ring.hpp): the
// part beyond the end wraps to the start.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ipcb::transports {

// k bytes of src into data (capacity cap, a power of two) at index pos.
inline void ring_copy_in(std::byte* data, std::size_t cap, std::uint64_t pos,
                         const std::byte* src, std::size_t k) {
  const std::size_t off = pos & (cap - 1), first = std::min(k, cap - off);
  std::memcpy(data + off, src, first);
  std::memcpy(data, src + first, k - first);
}

// k bytes out of data (capacity cap, a power of two) at index pos into dst.
inline void ring_copy_out(const std::byte* data, std::size_t cap,
                          std::uint64_t pos, std::byte* dst, std::size_t k) {
  const std::size_t off = pos & (cap - 1), first = std::min(k, cap - off);
  std::memcpy(dst, data + off, first);
  std::memcpy(dst + first, data, k - first);
}

}  // namespace ipcb::transports
