// The store of API tokens (by hash) and server secrets. The PostgreSQL implementation is in
// coordinator/storage/pg/tokens.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "krige/service/auth_service.hpp"

namespace krige::storage {

struct StoredToken {
  service::ApiToken token;
  std::string hash;  // hex SHA-256 of the secret
};

// Thread-safe; every method is one transaction. Throws krige::Error: kUnavailable when the
// database cannot be reached, kAlreadyExists for a hash stored before, kInternal otherwise.
class TokenRepository {
 public:
  virtual ~TokenRepository() = default;
  virtual service::ApiToken Create(const std::string& name, Role role, const std::string& hash) = 0;
  // Creates the token only when the table holds none at all (first start), atomically with
  // respect to other servers doing the same; nullopt when there was one.
  virtual std::optional<service::ApiToken> CreateFirst(const std::string& name, Role role,
                                                       const std::string& hash) = 0;
  virtual bool Empty() = 0;
  // The active (unrevoked) token with this hash, marked as used now; nullopt when none.
  virtual std::optional<StoredToken> UseByHash(const std::string& hash) = 0;
  // Oldest first.
  virtual std::vector<service::ApiToken> List() = 0;
  // Sets revoked_at unless set; nullopt for an unknown id.
  virtual std::optional<service::ApiToken> Revoke(std::int64_t id) = 0;
  // The server secret `name`: the stored one, or `fresh` stored now when there is none (the
  // first server to store one wins; every server then reads the same).
  virtual std::string ServerSecret(const std::string& name, const std::string& fresh) = 0;
};

}  // namespace krige::storage
