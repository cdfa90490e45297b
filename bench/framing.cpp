#include "bench/framing.hpp"

#include <algorithm>
#include <cstdlib>
#include <new>

namespace ipcb::bench {

namespace {

// 64-bit FNV-1a over 8-byte words: cheap, order-sensitive.
std::uint64_t checksum(const std::byte* p, std::size_t n) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) h = (h ^ get64(p + i)) * 0x100000001b3ULL;
  for (; i < n; ++i)
    h = (h ^ static_cast<std::uint8_t>(p[i])) * 0x100000001b3ULL;
  return h;
}

}  // namespace

std::string stamped_size_problem(const std::string& scenario, std::size_t bytes,
                                 bool verify) {
  if (bytes < 16)
    return scenario + " needs messages of at least 16 B to carry timestamps";
  if (verify && bytes < kHeader)
    return scenario + " with --verify needs messages of at least 32 B";
  return "";
}

Buffer::Buffer(std::size_t n)
    : n_(std::max<std::size_t>(n, 1)),
      p_(static_cast<std::byte*>(std::aligned_alloc(64, (n_ + 63) / 64 * 64))) {
  if (!p_) throw std::bad_alloc();
  std::memset(p_.get(), 0, n_);
}

void Buffer::Free::operator()(std::byte* p) const { std::free(p); }

void fill_pattern(std::byte* p, std::size_t n, std::uint32_t seed) {
  std::uint32_t x = seed * 2654435761u + 1;
  for (std::size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    p[i] = static_cast<std::byte>(x >> 24);
  }
}

std::int64_t check_pattern(const std::byte* p, std::size_t n,
                           std::uint32_t seed) {
  std::uint32_t x = seed * 2654435761u + 1;
  for (std::size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    if (p[i] != static_cast<std::byte>(x >> 24))
      return static_cast<std::int64_t>(i);
  }
  return -1;
}

nlohmann::json Integrity::to_json() const {
  return {{"checked", checked},
          {"corrupt", corrupt},
          {"gaps", gaps},
          {"duplicates", duplicates}};
}

Integrity Integrity::from_json(const nlohmann::json& j) {
  Integrity i;
  i.checked = j.value("checked", 0);
  i.corrupt = j.value("corrupt", 0);
  i.gaps = j.value("gaps", 0);
  i.duplicates = j.value("duplicates", 0);
  return i;
}

std::string Integrity::describe() const {
  return std::to_string(corrupt) + " corrupt, " + std::to_string(gaps) +
         " missing (gaps), " + std::to_string(duplicates) +
         " duplicated or reordered, in " + std::to_string(checked) +
         " messages checked";
}

void Verifier::stamp(std::byte* p, std::uint64_t seq) const {
  if (n_ >= kHeader) {
    put64(p + kSeq, seq);
    put64(p + kSum, checksum(p + kHeader, n_ - kHeader));
  } else {
    fill_pattern(p, n_, static_cast<std::uint32_t>(seq));
  }
}

void Verifier::check(const std::byte* p) {
  ++counts_.checked;
  if (n_ < kHeader) {
    if (check_pattern(p, n_, static_cast<std::uint32_t>(expected_)) >= 0)
      ++counts_.corrupt;
    ++expected_;
    return;
  }
  const std::uint64_t seq = get64(p + kSeq);
  if (seq < expected_) {
    ++counts_.duplicates;
    return;
  }
  if (seq > expected_)
    counts_.gaps += static_cast<std::int64_t>(seq - expected_);
  expected_ = seq + 1;
  if (get64(p + kSum) != checksum(p + kHeader, n_ - kHeader)) ++counts_.corrupt;
}

}  // namespace ipcb::bench
