// SHA-256, the identity of an uploaded dataset: the server stores it under the hex digest of
// its bytes, `krige run` computes it before uploading, and workers check a download against it.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace krige {

// Incremental hashing for inputs read in pieces (files). Not thread-safe; cheap to create.
class Sha256 {
 public:
  Sha256();
  void Update(std::string_view bytes);
  // The lower-case hex digest (64 characters). Call once; the object is spent afterwards.
  std::string HexDigest();

 private:
  alignas(16) std::array<unsigned char, 128> state_;  // crypto_hash_sha256_state, opaque here
};

// The lower-case hex SHA-256 of `bytes`.
std::string Sha256Hex(std::string_view bytes);

// True for 64 lower-case hex characters (what Sha256Hex returns).
bool IsSha256Hex(std::string_view text);

}  // namespace krige
