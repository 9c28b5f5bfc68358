// Internal: the connection pool. pqxx stays inside coordinator/storage/pg/.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "krige/error.hpp"

namespace krige::storage::pg {

// SQLSTATEs that say the server is going away or not there yet (classes 08, 57P, 53300): the
// caller may retry later, nothing is wrong with the statement.
bool IsUnavailable(const std::string& sqlstate);

class Database {
 public:
  Database(std::string url, int pool_size);

  // Runs fn with a pooled connection (statements prepared). pqxx failures become
  // krige::Error (kUnavailable for a broken connection, which is then discarded).
  template <typename Fn>
  auto Run(Fn&& fn) -> decltype(fn(std::declval<pqxx::connection&>())) {
    auto conn = Acquire();
    try {
      if constexpr (std::is_void_v<decltype(fn(*conn))>) {
        fn(*conn);
        Release(std::move(conn));
      } else {
        auto result = fn(*conn);
        Release(std::move(conn));
        return result;
      }
    } catch (const pqxx::broken_connection& e) {
      Discard();
      throw Error(ErrorCode::kUnavailable, std::string("database unavailable: ") + e.what());
    } catch (const pqxx::in_doubt_error& e) {
      // The connection died during COMMIT: the transaction may or may not have landed.
      Discard();
      throw Error(ErrorCode::kUnavailable, std::string("database unavailable: ") + e.what());
    } catch (const pqxx::sql_error& e) {
      if (IsUnavailable(e.sqlstate()) || !conn->is_open()) {
        Discard();  // the connection is closing: a new one is opened on the next call
        throw Error(ErrorCode::kUnavailable, std::string("database unavailable: ") + e.what());
      }
      Release(std::move(conn));
      throw Error(ErrorCode::kInternal, std::string("database error: ") + e.what());
    } catch (...) {
      Release(std::move(conn));
      throw;
    }
  }

  const std::string& url() const { return url_; }

 private:
  std::unique_ptr<pqxx::connection> Acquire();
  void Release(std::unique_ptr<pqxx::connection> conn);
  void Discard();

  std::string url_;
  int pool_size_;
  int open_ = 0;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
};

// Prepares every named statement on a new connection (statements.cpp).
void PrepareStatements(pqxx::connection& conn);

}  // namespace krige::storage::pg
