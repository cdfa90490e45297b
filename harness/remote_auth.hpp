// The shared secret of two-host runs (--serve / --remote): how it is
// chosen, and the challenge-response that proves each side knows it
// without sending it. The server sends a random nonce; the driver answers
// with HMAC-SHA256(token, "ipcbench driver" | server nonce | driver
// nonce), and the server, once satisfied, with HMAC-SHA256(token,
// "ipcbench server" | driver nonce | server nonce): each side checks the
// other's proof in constant time (OpenSSL's CRYPTO_memcmp). The token
// never crosses the network; a recorded exchange cannot be replayed (fresh
// nonces). The channel is not encrypted: the benchmark's settings and
// figures travel in the clear.
#pragma once

#include <optional>
#include <string>

namespace ipcb::harness {

inline constexpr std::size_t kMinTokenChars = 16;

// The token: `flag_value` (--token) if given, else $IPCBENCH_TOKEN.
// Throws std::invalid_argument when there is none or it is shorter than
// kMinTokenChars, saying how to make one.
std::string choose_token(const std::optional<std::string>& flag_value);

std::string random_hex(std::size_t bytes);
std::string driver_proof(const std::string& token,
                         const std::string& server_nonce,
                         const std::string& driver_nonce);
std::string server_proof(const std::string& token,
                         const std::string& server_nonce,
                         const std::string& driver_nonce);
// Constant time in the length of `expected`.
bool proofs_match(const std::string& expected, const std::string& got);

}  // namespace ipcb::harness
