// API tokens and dataset capabilities: who may call the REST API, and which worker may fetch
// which dataset without a token. The web layer depends on this interface only; the
// coordinator's composition root supplies the implementation (service/auth.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "krige/role.hpp"

namespace krige::service {

// A token as listed: never its secret, never its hash.
struct ApiToken {
  std::int64_t id = 0;
  std::string name;
  Role role = Role::kRead;
  std::string created_at;    // ISO 8601 UTC
  std::string last_used_at;  // "" when never used (updated at most once per cache period)
  std::string revoked_at;    // "" while active
};

// A token just created: the only time its secret is known to anyone but its holder.
struct IssuedToken {
  ApiToken token;
  std::string secret;  // "krg_..." (what goes after "Authorization: Bearer ")
};

// Thread-safe: called concurrently from the HTTP handler threads. Errors are krige::Error:
// kInvalidArgument (field "name" or "role"), kNotFound for an unknown token id, kUnavailable
// when the database is unreachable.
class AuthService {
 public:
  virtual ~AuthService() = default;
  // The role of the token `secret`, or nullopt when no active token has it. May answer from a
  // cache: a revocation made on another server is seen within a few seconds.
  virtual std::optional<Role> Authenticate(const std::string& secret) = 0;
  // A new random token with `role` (read, write or admin) and a name (1..200 characters).
  virtual IssuedToken CreateToken(const std::string& name, Role role) = 0;
  // Every token, active and revoked, oldest first.
  virtual std::vector<ApiToken> ListTokens() = 0;
  // Revokes a token (idempotent: an already revoked one keeps its revoked_at).
  virtual ApiToken RevokeToken(std::int64_t id) = 0;
  // True when `capability` (issued by this coordinator with an ASSIGN) lets its bearer
  // download the dataset `sha256` now; false when it is malformed, for another dataset, forged
  // or expired.
  virtual bool CheckDatasetCapability(const std::string& sha256, const std::string& capability) = 0;
};

}  // namespace krige::service
