#include "harness/remote_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/random.h>

#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "sys/checked.hpp"

namespace ipcb::harness {

namespace {

std::string to_hex(const unsigned char* p, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (std::size_t i = 0; i < n; ++i) {
    hex += kDigits[p[i] >> 4];
    hex += kDigits[p[i] & 15];
  }
  return hex;
}

std::string hmac_hex(const std::string& key, const std::string& message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (::HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(message.data()),
             message.size(), out, &len) == nullptr)
    throw std::runtime_error("HMAC-SHA256 failed (OpenSSL)");
  return to_hex(out, len);
}

}  // namespace

std::string choose_token(const std::optional<std::string>& flag_value) {
  std::string token;
  if (flag_value) {
    token = *flag_value;
  } else if (const char* env = std::getenv("IPCBENCH_TOKEN")) {
    token = env;
  }
  if (token.empty())
    throw std::invalid_argument(
        "no token: give the same secret to server and driver with "
        "IPCBENCH_TOKEN=... (or --token=...), e.g. IPCBENCH_TOKEN=$(openssl "
        "rand -hex 16)");
  if (token.size() < kMinTokenChars)
    throw std::invalid_argument(
        "the token is " + std::to_string(token.size()) +
        " characters; use at least " + std::to_string(kMinTokenChars) +
        ", e.g. IPCBENCH_TOKEN=$(openssl rand -hex 16)");
  return token;
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  std::size_t got = 0;
  while (got < bytes) {
    got += static_cast<std::size_t>(sys::checked("getrandom", "nonce", [&] {
      return ::getrandom(raw.data() + got, bytes - got, 0);
    }));
  }
  return to_hex(raw.data(), raw.size());
}

std::string driver_proof(const std::string& token,
                         const std::string& server_nonce,
                         const std::string& driver_nonce) {
  return hmac_hex(token,
                  "ipcbench driver|" + server_nonce + "|" + driver_nonce);
}

std::string server_proof(const std::string& token,
                         const std::string& server_nonce,
                         const std::string& driver_nonce) {
  return hmac_hex(token,
                  "ipcbench server|" + driver_nonce + "|" + server_nonce);
}

bool proofs_match(const std::string& expected, const std::string& got) {
  if (got.size() != expected.size()) return false;
  return ::CRYPTO_memcmp(expected.data(), got.data(), expected.size()) == 0;
}

}  // namespace ipcb::harness
