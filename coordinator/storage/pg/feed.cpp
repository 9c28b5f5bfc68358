// service::TrialFeed over PostgreSQL: trials by their change sequence (trials.seq, index
// (experiment_id, seq), migrations/0007_trial_seq.sql) and per-step scores.
#include "krige/storage/feed.hpp"

#include <map>

#include "krige/codec.hpp"
#include "pg/database.hpp"

namespace krige::storage::pg {
namespace {

#define KRIGE_FEED_TS(col) \
  "coalesce(to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), '')"

void RequireExperiment(pqxx::transaction_base& w, std::int64_t experiment_id) {
  if (w.exec_params("SELECT 1 FROM experiments WHERE id = $1", experiment_id).empty())
    throw Error(ErrorCode::kNotFound, "experiment " + std::to_string(experiment_id) + " not found");
}

class PgTrialFeed : public service::TrialFeed {
 public:
  explicit PgTrialFeed(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  service::TrialChanges Changes(std::int64_t experiment_id, std::int64_t after_seq,
                                int limit) override {
    return db_->Run([&](pqxx::connection& c) {
      pqxx::read_transaction w(c);
      RequireExperiment(w, experiment_id);
      const auto rows = w.exec_params(
          "SELECT id, number, state, value, params::text, attempt, coalesce(worker, ''), error, "
          KRIGE_FEED_TS("started_at") ", " KRIGE_FEED_TS("finished_at") ", seq "
          "FROM trials WHERE experiment_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
          experiment_id, after_seq, limit + 1);
      service::TrialChanges out;
      out.more = static_cast<int>(rows.size()) > limit;
      out.rows.reserve(std::min<std::size_t>(rows.size(), static_cast<std::size_t>(limit)));
      for (const auto& r : rows) {
        if (static_cast<int>(out.rows.size()) == limit) break;
        service::TrialRow t;
        t.id = r[0].as<std::int64_t>();
        t.number = r[1].as<int>();
        t.state = TrialStateFromName(r[2].as<std::string>());
        if (!r[3].is_null()) t.value = r[3].as<double>();
        t.params_json = r[4].as<std::string>();
        t.attempt = r[5].as<int>();
        t.worker = r[6].as<std::string>();
        t.error = r[7].as<std::string>();
        t.started_at = r[8].as<std::string>();
        t.finished_at = r[9].as<std::string>();
        t.seq = r[10].as<std::int64_t>();
        out.rows.push_back(std::move(t));
      }
      return out;
    });
  }

  std::int64_t LastSeq(std::int64_t experiment_id) override {
    return db_->Run([&](pqxx::connection& c) {
      pqxx::read_transaction w(c);
      RequireExperiment(w, experiment_id);
      return w
          .exec_params1("SELECT coalesce(max(seq), 0) FROM trials WHERE experiment_id = $1",
                        experiment_id)[0]
          .as<std::int64_t>();
    });
  }

  std::vector<service::TrialSteps> Steps(std::int64_t experiment_id, int limit) override {
    return db_->Run([&](pqxx::connection& c) {
      pqxx::read_transaction w(c);
      RequireExperiment(w, experiment_id);
      const auto rows = w.exec_params(
          "WITH recent AS (SELECT t.id, t.number, t.state FROM trials t "
          "  WHERE t.experiment_id = $1 AND EXISTS (SELECT 1 FROM trial_metrics m "
          "  WHERE m.trial_id = t.id) ORDER BY t.number DESC LIMIT $2) "
          "SELECT r.id, r.number, r.state, m.key, m.step, m.value FROM recent r "
          "JOIN trial_metrics m ON m.trial_id = r.id ORDER BY r.number, m.step, m.key",
          experiment_id, limit);
      std::vector<service::TrialSteps> out;
      for (const auto& r : rows) {
        const auto id = r[0].as<std::int64_t>();
        if (out.empty() || out.back().trial_id != id) {
          service::TrialSteps t;
          t.trial_id = id;
          t.number = r[1].as<int>();
          t.state = TrialStateFromName(r[2].as<std::string>());
          out.push_back(std::move(t));
        }
        auto& steps = out.back().steps;
        const int step = r[4].as<int>();
        if (steps.empty() || steps.back().step != step) {
          steps.emplace_back();
          steps.back().step = step;
        }
        steps.back().values[r[3].as<std::string>()] = r[5].as<double>();
      }
      return out;
    });
  }

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace

std::unique_ptr<service::TrialFeed> MakeTrialFeed(std::shared_ptr<Database> db) {
  return std::make_unique<PgTrialFeed>(std::move(db));
}

std::size_t BulkLoadTrials(Database& db, std::int64_t experiment_id,
                           const std::vector<LoadedTrial>& trials) {
  return db.Run([&](pqxx::connection& c) {
    pqxx::work w(c);
    const auto first = w.exec_params(
        "UPDATE experiments SET trials_created = trials_created + $2 WHERE id = $1 "
        "RETURNING trials_created - $2, direction",
        experiment_id, static_cast<int>(trials.size()));
    if (first.empty())
      throw Error(ErrorCode::kNotFound,
                  "experiment " + std::to_string(experiment_id) + " not found");
    const int base = first[0][0].as<int>();
    {
      pqxx::stream_to out{w, "trials",
                          std::vector<std::string>{"experiment_id", "number", "params", "state",
                                                   "worker", "value", "started_at", "finished_at"}};
      for (std::size_t i = 0; i < trials.size(); ++i) {
        const auto& t = trials[i];
        out << std::make_tuple(experiment_id, base + static_cast<int>(i), ToJson(t.params).dump(),
                               std::string(TrialStateName(t.state)), std::string("bulk"),
                               t.value ? std::optional<double>(*t.value) : std::nullopt,
                               std::string("now"), std::string("now"));
      }
      out.complete();
    }
    bool any_steps = false;
    for (const auto& t : trials) any_steps = any_steps || !t.steps.empty();
    if (any_steps) {
      std::map<int, std::int64_t> ids;
      for (const auto& r :
           w.exec_params("SELECT number, id FROM trials WHERE experiment_id = $1 AND number >= $2",
                         experiment_id, base))
        ids[r[0].as<int>()] = r[1].as<std::int64_t>();
      pqxx::stream_to out{w, "trial_metrics",
                          std::vector<std::string>{"trial_id", "key", "step", "value"}};
      for (std::size_t i = 0; i < trials.size(); ++i)
        for (const auto& s : trials[i].steps)
          for (const auto& [key, v] : s.values)
            out << std::make_tuple(ids.at(base + static_cast<int>(i)), key, s.step, v);
      out.complete();
    }
    const bool minimize = first[0][1].as<std::string>() == "minimize";
    w.exec_params(std::string("UPDATE experiments SET best_trial_id = (SELECT id FROM trials "
                              "WHERE experiment_id = $1 AND state = 'completed' AND value IS "
                              "NOT NULL ORDER BY value ") +
                      (minimize ? "ASC" : "DESC") + ", number LIMIT 1) WHERE id = $1",
                  experiment_id);
    w.commit();
    return trials.size();
  });
}

}  // namespace krige::storage::pg
