#include "pg/database.hpp"

#include "krige/storage/pg.hpp"

namespace krige::storage::pg {

Database::Database(std::string url, int pool_size) : url_(std::move(url)), pool_size_(pool_size) {}

std::unique_ptr<pqxx::connection> Database::Acquire() {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    available_.wait(lock, [&] { return !idle_.empty() || open_ < pool_size_; });
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
    ++open_;
  }
  try {
    auto conn = std::make_unique<pqxx::connection>(url_);
    PrepareStatements(*conn);
    return conn;
  } catch (const std::exception& e) {
    Discard();
    throw Error(ErrorCode::kUnavailable,
                std::string("cannot connect to the database: ") + e.what());
  }
}

void Database::Release(std::unique_ptr<pqxx::connection> conn) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (conn && conn->is_open()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
  }
  available_.notify_one();
}

void Database::Discard() {
  std::lock_guard<std::mutex> lock(mutex_);
  --open_;
  available_.notify_one();
}

bool IsUnavailable(const std::string& sqlstate) {
  return sqlstate.rfind("08", 0) == 0 || sqlstate.rfind("57P", 0) == 0 || sqlstate == "53300";
}

std::shared_ptr<Database> OpenDatabase(const std::string& url, int pool_size) {
  try {
    pqxx::connection probe(url);  // connect now: a bad URL fails at start-up
  } catch (const std::exception& e) {
    throw Error(ErrorCode::kUnavailable,
                std::string("cannot connect to the database: ") + e.what());
  }
  return std::make_shared<Database>(url, pool_size);
}

}  // namespace krige::storage::pg
