#include "krige/sha256.hpp"

#include <sodium.h>

#include <cstring>
#include <stdexcept>

namespace krige {
namespace {

static_assert(sizeof(crypto_hash_sha256_state) <= 128, "Sha256::state_ is too small");

crypto_hash_sha256_state* State(std::array<unsigned char, 128>& raw) {
  return reinterpret_cast<crypto_hash_sha256_state*>(raw.data());
}

void InitSodium() {
  // sodium_init is thread-safe and idempotent; -1 means the library cannot work at all.
  static const int status = sodium_init();
  if (status < 0) throw std::runtime_error("libsodium could not be initialised");
}

}  // namespace

Sha256::Sha256() {
  InitSodium();
  crypto_hash_sha256_init(State(state_));
}

void Sha256::Update(std::string_view bytes) {
  crypto_hash_sha256_update(State(state_), reinterpret_cast<const unsigned char*>(bytes.data()),
                            bytes.size());
}

std::string Sha256::HexDigest() {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(State(state_), digest);
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string(hex, crypto_hash_sha256_BYTES * 2);
}

std::string Sha256Hex(std::string_view bytes) {
  Sha256 h;
  h.Update(bytes);
  return h.HexDigest();
}

bool IsSha256Hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace krige
