// The workers the coordinator knows (GET /api/v1/workers). The web layer depends on this
// interface only; the coordinator's composition root supplies the implementation.
#pragma once

#include <string>
#include <vector>

namespace krige::service {

struct Worker {
  std::string id;  // the worker's ZeroMQ routing id (WorkerOptions::id, else hostname-pid-random)
  std::string hostname;
  int slots = 1;
  std::string version;
  std::string state;       // "alive" (connected) or "lost" (silent past its lease)
  std::string first_seen;  // ISO 8601 UTC
  std::string last_seen;   // alive: its last heartbeat as recorded (every few seconds); lost: when
  int running = 0;         // trials running on it now
  int done = 0;            // trials it finished (completed or failed)
  std::vector<std::string> kinds;  // what it runs: cv, command, function:NAME
};

struct WorkerQuery {
  int limit = 100;     // 1..1000
  std::string cursor;  // opaque, from WorkerPage::next_cursor
};

struct WorkerPage {
  std::vector<Worker> workers;  // by id
  std::string next_cursor;      // empty on the last page
};

// Thread-safe: called concurrently from the HTTP handler threads. Errors are krige::Error
// (kInvalidArgument for a bad cursor, kUnavailable when the database is unreachable).
class WorkerService {
 public:
  virtual ~WorkerService() = default;
  // Connected workers and those lost within the last hour (kLostShownSeconds).
  virtual WorkerPage List(const WorkerQuery& query) = 0;
};

// How long a lost worker stays in the list.
inline constexpr int kLostShownSeconds = 3600;

}  // namespace krige::service
