// Message framing shared by every scenario: where a scenario stamps its
// words into a message, a pre-faulted message buffer, the deterministic
// payload pattern, the sums that check a payload, and the --verify framing
// (sequence number + checksum) with the counts it keeps.
//
// Message layout when a scenario needs it: bytes [0,8) timestamp A (oneway:
// driver send time; rate: intended send time; fanin: producer's send time),
// [8,16) timestamp B (oneway: peer send time) or the producer's index
// (fanin); with --verify, [16,24) sequence number and [24,32) a checksum of
// bytes [32,n). Messages under 32 B are verified against a pattern derived
// from their sequence number instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace ipcb::bench {

inline constexpr std::size_t kTsA = 0, kTsB = 8, kSeq = 16, kSum = 24,
                             kHeader = 32;

inline void put64(std::byte* p, std::uint64_t v) { std::memcpy(p, &v, 8); }
inline std::uint64_t get64(const std::byte* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Empty when messages of `bytes` hold the two stamped words of `scenario`
// (and, with --verify, the sequence number and checksum), else why not.
std::string stamped_size_problem(const std::string& scenario, std::size_t bytes,
                                 bool verify);

// A cache-line aligned, pre-faulted message buffer of at least one byte.
class Buffer {
 public:
  explicit Buffer(std::size_t n);
  std::byte* data() { return p_.get(); }

 private:
  struct Free {
    void operator()(std::byte* p) const;
  };
  std::size_t n_;
  std::unique_ptr<std::byte, Free> p_;
};

// Deterministic payload pattern; fill_pattern and check_pattern agree.
void fill_pattern(std::byte* p, std::size_t n, std::uint32_t seed);
// Index of the first wrong byte, or -1.
std::int64_t check_pattern(const std::byte* p, std::size_t n,
                           std::uint32_t seed);
// Sum of the buffer as little-endian 64-bit words plus tail bytes (mod 2^64).
// Inline: the fan-in consumer and the stream peer sum every message.
inline std::uint64_t word_sum(const std::byte* p, std::size_t n) {
  std::uint64_t sum = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    sum += w;
  }
  for (; i < n; ++i) sum += static_cast<std::uint8_t>(p[i]);
  return sum;
}

// Counts kept by --verify on each receiving side.
struct Integrity {
  std::int64_t checked = 0;
  std::int64_t corrupt = 0;     // checksum or pattern mismatch
  std::int64_t gaps = 0;        // messages skipped over (sequence jumped)
  std::int64_t duplicates = 0;  // sequence went backwards or repeated
  bool ok() const { return corrupt == 0 && gaps == 0 && duplicates == 0; }
  nlohmann::json to_json() const;
  static Integrity from_json(const nlohmann::json& j);
  std::string describe() const;  // "2 corrupt, 1 gap, 0 duplicates in 1000"
};

// Integrity framing: stamp() before sending message `seq`, check() on the
// receiving side, which expects consecutive sequence numbers from 0.
class Verifier {
 public:
  explicit Verifier(std::size_t n) : n_(n) {}
  void stamp(std::byte* p, std::uint64_t seq) const;
  void check(const std::byte* p);
  const Integrity& counts() const { return counts_; }

 private:
  std::size_t n_;
  std::uint64_t expected_ = 0;
  Integrity counts_;
};

}  // namespace ipcb::bench
