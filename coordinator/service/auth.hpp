// The AuthService over a TokenRepository: random tokens stored by hash, a short-lived cache of
// lookups, and dataset capabilities signed with a server secret (libsodium throughout).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

#include "krige/service/auth_service.hpp"
#include "krige/storage/tokens.hpp"

namespace krige::service {

// "krg_" + 43 base64url characters: 32 random bytes (randombytes_buf).
std::string GenerateToken();
// The lower-case hex SHA-256 of a token's text: what the store keeps instead of the token.
std::string HashToken(const std::string& token);
// 32 random bytes, e.g. a new server secret.
std::string RandomKey();

// The capability to download dataset `sha256` until `expires` (Unix seconds):
// "v1.<expires>.<hex HMAC-SHA256(key, "krige-dataset\0" sha256 "\0" expires)>".
std::string MakeDatasetCapability(const std::string& key, const std::string& sha256,
                                  std::int64_t expires);
// True when `capability` is well formed, signed with `key` for `sha256`, and `now` is before
// its expiry. Compares in constant time.
bool VerifyDatasetCapability(const std::string& key, const std::string& sha256,
                             const std::string& capability, std::int64_t now);

// The name of the server secret dataset capabilities are signed with (server_secrets.name).
inline constexpr const char* kDatasetCapabilitySecret = "dataset_capability";
// How long a capability sent with an ASSIGN stays valid: the worker downloads at the start
// of the trial; an hour is ample for a slow link and short enough to be useless later.
inline constexpr std::chrono::seconds kDatasetCapabilityLifetime{3600};

struct TokenAuthOptions {
  // A token's lookup (valid or not) is reused for this long: at most one database round trip
  // per token and period, and a revocation made on another server is seen within it
  // (revocations made here are seen at once).
  std::chrono::milliseconds cache_ttl{5000};
  // Distinct tokens remembered at once; the cache is emptied when full (so random tokens
  // sent by a client cost lookups, never memory).
  std::size_t cache_capacity = 4096;
  // Monotonic time for the cache, wall-clock Unix seconds for capabilities; tests set both.
  std::function<std::chrono::steady_clock::time_point()> clock = [] {
    return std::chrono::steady_clock::now();
  };
  std::function<std::int64_t()> unix_now = [] {
    return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count());
  };
};

// Thread-safe.
class TokenAuthService : public AuthService {
 public:
  // `capability_key`: the server secret (kDatasetCapabilitySecret) of this database.
  TokenAuthService(storage::TokenRepository& tokens, std::string capability_key,
                   TokenAuthOptions options = {});

  std::optional<Role> Authenticate(const std::string& secret) override;
  IssuedToken CreateToken(const std::string& name, Role role) override;
  std::vector<ApiToken> ListTokens() override;
  ApiToken RevokeToken(std::int64_t id) override;
  bool CheckDatasetCapability(const std::string& sha256, const std::string& capability) override;

  // A capability for `sha256`, valid for kDatasetCapabilityLifetime from now (for ASSIGN).
  std::string DatasetCapability(const std::string& sha256) const;

 private:
  struct Cached {
    std::string hash;
    std::optional<Role> role;  // nullopt: no active token has this hash
    std::int64_t id = 0;
    std::chrono::steady_clock::time_point until;
  };
  storage::TokenRepository& tokens_;
  const std::string key_;
  const TokenAuthOptions options_;
  std::mutex mutex_;                               // guards cache_
  std::unordered_map<std::string, Cached> cache_;  // by hash
};

// Checks a name for a new token (1..200 characters); throws Error(kInvalidArgument, "name").
void CheckTokenName(const std::string& name);

}  // namespace krige::service
