// The token store: API tokens by the hash of their secret, and server secrets. Its statements
// are named and prepared with the others (PrepareStatements calls PrepareTokenStatements).
#include "krige/storage/pg.hpp"
#include "pg/database.hpp"
#include "pg/statements.hpp"

namespace krige::storage::pg {
namespace {

#define KRIGE_TOKEN_TS(col) \
  "coalesce(to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), '')"

const std::string kTokenColumns = "id, name, role, " KRIGE_TOKEN_TS(
    "created_at") ", " KRIGE_TOKEN_TS("last_used_at") ", " KRIGE_TOKEN_TS("revoked_at");

// Serializes the first-token check of servers starting at once (any constant of krige's).
constexpr long long kFirstTokenLock = 0x6b72696765746bLL;  // "kriget k"

service::ApiToken RowToToken(const pqxx::row& r) {
  service::ApiToken t;
  t.id = r[0].as<std::int64_t>();
  t.name = r[1].as<std::string>();
  t.role = TokenRoleFromName(r[2].as<std::string>());
  t.created_at = r[3].as<std::string>();
  t.last_used_at = r[4].as<std::string>();
  t.revoked_at = r[5].as<std::string>();
  return t;
}

class PgTokenRepository : public TokenRepository {
 public:
  explicit PgTokenRepository(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  service::ApiToken Create(const std::string& name, Role role, const std::string& hash) override {
    return db_->Run([&](pqxx::connection& c) {
      pqxx::work w(c);
      const auto row = w.exec_prepared1("token_insert", name, std::string(RoleName(role)), hash);
      w.commit();
      return RowToToken(row);
    });
  }

  std::optional<service::ApiToken> CreateFirst(const std::string& name, Role role,
                                               const std::string& hash) override {
    return db_->Run([&](pqxx::connection& c) -> std::optional<service::ApiToken> {
      pqxx::work w(c);
      w.exec_prepared("token_first_lock", kFirstTokenLock);
      const auto result =
          w.exec_prepared("token_insert_first", name, std::string(RoleName(role)), hash);
      w.commit();
      if (result.empty()) return std::nullopt;
      return RowToToken(result[0]);
    });
  }

  bool Empty() override {
    return db_->Run([&](pqxx::connection& c) {
      pqxx::read_transaction w(c);
      return !w.exec_prepared1("token_any")[0].as<bool>();
    });
  }

  std::optional<StoredToken> UseByHash(const std::string& hash) override {
    return db_->Run([&](pqxx::connection& c) -> std::optional<StoredToken> {
      pqxx::work w(c);
      const auto result = w.exec_prepared("token_use", hash);
      w.commit();
      if (result.empty()) return std::nullopt;
      return StoredToken{RowToToken(result[0]), result[0][6].as<std::string>()};
    });
  }

  std::vector<service::ApiToken> List() override {
    return db_->Run([&](pqxx::connection& c) {
      pqxx::read_transaction w(c);
      std::vector<service::ApiToken> out;
      for (const auto& row : w.exec_prepared("token_list")) out.push_back(RowToToken(row));
      return out;
    });
  }

  std::optional<service::ApiToken> Revoke(std::int64_t id) override {
    return db_->Run([&](pqxx::connection& c) -> std::optional<service::ApiToken> {
      pqxx::work w(c);
      const auto result = w.exec_prepared("token_revoke", id);
      w.commit();
      if (result.empty()) return std::nullopt;
      return RowToToken(result[0]);
    });
  }

  std::string ServerSecret(const std::string& name, const std::string& fresh) override {
    return db_->Run([&](pqxx::connection& c) {
      pqxx::work w(c);
      w.exec_prepared("secret_put", name, pqxx::binarystring(fresh.data(), fresh.size()));
      const pqxx::binarystring secret(w.exec_prepared1("secret_get", name)[0]);
      w.commit();
      return secret.str();
    });
  }

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace

void PrepareTokenStatements(pqxx::connection& c) {
  c.prepare("token_insert",
            "INSERT INTO api_tokens (name, role, hash) VALUES ($1, $2, $3) "
            "RETURNING " +
                kTokenColumns);
  c.prepare("token_first_lock", "SELECT pg_advisory_xact_lock($1)");
  c.prepare("token_insert_first",
            "INSERT INTO api_tokens (name, role, hash) SELECT $1, $2, $3 "
            "WHERE NOT EXISTS (SELECT 1 FROM api_tokens) RETURNING " +
                kTokenColumns);
  c.prepare("token_any", "SELECT EXISTS (SELECT 1 FROM api_tokens)");
  // Lookup by hash (unique index) and the last_used_at refresh in one round trip.
  c.prepare("token_use",
            "UPDATE api_tokens SET last_used_at = now() WHERE hash = $1 AND revoked_at IS NULL "
            "RETURNING " +
                kTokenColumns + ", hash");
  c.prepare("token_list", "SELECT " + kTokenColumns + " FROM api_tokens ORDER BY id");
  c.prepare("token_revoke",
            "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 "
            "RETURNING " +
                kTokenColumns);
  c.prepare("secret_put",
            "INSERT INTO server_secrets (name, secret) VALUES ($1, $2) ON CONFLICT (name) DO "
            "NOTHING");
  c.prepare("secret_get", "SELECT secret FROM server_secrets WHERE name = $1");
}

std::unique_ptr<TokenRepository> MakeTokenRepository(std::shared_ptr<Database> db) {
  return std::make_unique<PgTokenRepository>(std::move(db));
}

}  // namespace krige::storage::pg
