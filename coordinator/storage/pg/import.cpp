// Whole-store operations outside the repositories: ImportTrials (many trials per statement,
// for imports and benchmarks) and CountTrials (GET /metrics).
#include "krige/codec.hpp"
#include "krige/storage/pg.hpp"
#include "pg/database.hpp"

namespace krige::storage::pg {

void ImportTrials(Database& db, std::int64_t experiment_id, const std::vector<Trial>& trials) {
  constexpr std::size_t kBatch = 5000;
  db.Run([&](pqxx::connection& c) {
    pqxx::work w(c);
    const auto direction =
        w.exec_params("SELECT direction FROM experiments WHERE id = $1 FOR UPDATE", experiment_id);
    if (direction.empty())
      throw Error(ErrorCode::kNotFound, "no experiment " + std::to_string(experiment_id));
    for (std::size_t first = 0; first < trials.size(); first += kBatch) {
      Json rows = Json::array();
      for (std::size_t i = first; i < std::min(trials.size(), first + kBatch); ++i) {
        const Trial& t = trials[i];
        rows.push_back({{"number", t.number},
                        {"params", ToJson(t.params)},
                        {"state", std::string(TrialStateName(t.state))},
                        {"attempt", t.attempt},
                        {"worker", t.worker},
                        {"value", t.value ? Json(*t.value) : Json()},
                        {"metrics", t.metrics},
                        {"error", t.error}});
      }
      w.exec_params0(
          "INSERT INTO trials (experiment_id, number, params, state, attempt, worker, value, "
          "metrics, error, started_at, finished_at) "
          "SELECT $1, r.number, r.params, r.state, r.attempt, NULLIF(r.worker, ''), r.value, "
          "r.metrics, r.error, now(), CASE WHEN r.state IN ('completed', 'failed', 'pruned') "
          "THEN now() END FROM jsonb_to_recordset($2::jsonb) AS r(number integer, params jsonb, "
          "state text, attempt integer, worker text, value double precision, metrics jsonb, "
          "error text)",
          experiment_id, rows.dump());
    }
    const bool maximize = direction[0][0].as<std::string>() == "maximize";
    w.exec_params0(
        std::string("UPDATE experiments SET trials_created = GREATEST(trials_created, (SELECT "
                    "coalesce(max(number) + 1, 0) FROM trials WHERE experiment_id = $1)), "
                    "best_trial_id = (SELECT id FROM trials WHERE experiment_id = $1 AND state = "
                    "'completed' AND value IS NOT NULL ORDER BY value ") +
            (maximize ? "DESC" : "ASC") + ", number LIMIT 1) WHERE id = $1",
        experiment_id);
    w.commit();
  });
}

TrialCounts CountTrials(Database& db) {
  return db.Run([&](pqxx::connection& c) {
    pqxx::read_transaction r(c);
    const auto row = r.exec1(
        "SELECT coalesce(sum(n_queued), 0), coalesce(sum(n_running), 0), "
        "coalesce(sum(n_completed), 0), coalesce(sum(n_failed), 0), coalesce(sum(n_pruned), 0) "
        "FROM experiments");
    TrialCounts counts;
    counts.queued = row[0].as<int>();
    counts.running = row[1].as<int>();
    counts.completed = row[2].as<int>();
    counts.failed = row[3].as<int>();
    counts.pruned = row[4].as<int>();
    return counts;
  });
}

}  // namespace krige::storage::pg
