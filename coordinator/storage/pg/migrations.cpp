#include <algorithm>
#include <string>
#include <vector>

#include "krige/embedded.hpp"
#include "krige/storage/pg.hpp"
#include "pg/database.hpp"

namespace krige {
extern const EmbeddedFile kMigrations[];
extern const std::size_t kMigrations_count;
}  // namespace krige

namespace krige::storage::pg {
namespace {

// Any constant shared by all krige servers: serializes concurrent start-ups.
constexpr long long kMigrationLock = 0x6b72696765;  // "krige"

}  // namespace

std::vector<std::string> ApplyMigrations(Database& db) {
  std::vector<const EmbeddedFile*> files;
  for (std::size_t i = 0; i < kMigrations_count; ++i) files.push_back(&kMigrations[i]);
  std::sort(files.begin(), files.end(), [](const EmbeddedFile* a, const EmbeddedFile* b) {
    return std::string(a->name) < b->name;
  });
  std::vector<std::string> applied;
  try {
    // A plain connection: pooled ones prepare statements against tables that may not exist yet.
    pqxx::connection conn(db.url());
    {
      pqxx::nontransaction w(conn);
      w.exec0(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
      w.exec_params("SELECT pg_advisory_lock($1)", kMigrationLock);
    }
    for (const EmbeddedFile* file : files) {
      pqxx::work w(conn);
      if (!w.exec_params("SELECT 1 FROM schema_migrations WHERE name = $1", file->name).empty())
        continue;
      w.exec0(std::string(file->text, file->size));
      w.exec_params0("INSERT INTO schema_migrations (name) VALUES ($1)", file->name);
      w.commit();
      applied.push_back(file->name);
    }
    pqxx::nontransaction w(conn);
    w.exec_params("SELECT pg_advisory_unlock($1)", kMigrationLock);
  } catch (const pqxx::broken_connection& e) {
    throw Error(ErrorCode::kUnavailable, std::string("database unavailable: ") + e.what());
  } catch (const pqxx::sql_error& e) {
    throw Error(ErrorCode::kInternal, std::string("migration failed: ") + e.what());
  }
  return applied;
}

}  // namespace krige::storage::pg
