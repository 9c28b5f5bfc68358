#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <tuple>
#include <unordered_map>

#include "krige/codec.hpp"
#include "krige/storage/pg.hpp"
#include "pg/database.hpp"

namespace krige::storage::pg {
namespace {

using service::ExperimentPage;
using service::ExperimentQuery;
using service::TrialPage;
using service::TrialQuery;

constexpr int kTrialColumnCount = 13;

Trial RowToTrial(const pqxx::row& r, int first) {
  Trial t;
  t.id = r[first + 0].as<std::int64_t>();
  t.experiment_id = r[first + 1].as<std::int64_t>();
  t.number = r[first + 2].as<int>();
  t.params = ParamsFromJson(Json::parse(r[first + 3].as<std::string>()));
  t.state = TrialStateFromName(r[first + 4].as<std::string>());
  t.attempt = r[first + 5].as<int>();
  t.worker = r[first + 6].as<std::string>();
  if (!r[first + 7].is_null()) t.value = r[first + 7].as<double>();
  t.metrics = Json::parse(r[first + 8].as<std::string>()).get<std::map<std::string, double>>();
  t.error = r[first + 9].as<std::string>();
  t.created_at = r[first + 10].as<std::string>();
  t.started_at = r[first + 11].as<std::string>();
  t.finished_at = r[first + 12].as<std::string>();
  return t;
}

void LoadSteps(pqxx::transaction_base& w, Trial& t) {
  std::map<int, StepScores> steps;
  for (const auto& row : w.exec_prepared("trial_steps", t.id)) {
    const int step = row[1].as<int>();
    steps[step].step = step;
    steps[step].values[row[0].as<std::string>()] = row[2].as<double>();
  }
  t.steps.clear();
  for (auto& [step, scores] : steps) t.steps.push_back(std::move(scores));
}

// Specs never change once stored: each is parsed once, not on every read that shows it.
class SpecCache {
 public:
  std::shared_ptr<const ExperimentSpec> Get(std::int64_t id, const pqxx::field& text) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const auto it = specs_.find(id);
      if (it != specs_.end()) return it->second;
    }
    auto spec = std::make_shared<const ExperimentSpec>(SpecFromJson(Json::parse(text.c_str())));
    std::lock_guard<std::mutex> lock(mutex_);
    if (specs_.size() >= kCapacity) specs_.clear();  // rare: many experiments read at once
    specs_.emplace(id, spec);
    return spec;
  }

 private:
  static constexpr std::size_t kCapacity = 4096;
  std::mutex mutex_;
  std::unordered_map<std::int64_t, std::shared_ptr<const ExperimentSpec>> specs_;
};

Experiment RowToExperiment(const pqxx::row& r, SpecCache& specs) {
  Experiment e;
  e.id = r[0].as<std::int64_t>();
  e.spec = *specs.Get(e.id, r[1]);
  e.state = ExperimentStateFromName(r[2].as<std::string>());
  e.created_at = r[3].as<std::string>();
  e.finished_at = r[4].as<std::string>();
  e.counts.queued = r[5].as<int>();
  e.counts.running = r[6].as<int>();
  e.counts.completed = r[7].as<int>();
  e.counts.failed = r[8].as<int>();
  e.counts.pruned = r[9].as<int>();
  e.error = r[10].as<std::string>();
  if (!r[11].is_null()) e.best = RowToTrial(r, 11);
  return e;
}

// Optional text parameter: NULL when absent.
const char* StateParam(const std::optional<TrialState>& s) {
  return s ? TrialStateName(*s).data() : nullptr;
}

std::string FormatDouble(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// For writes that a crash may lose without harm, the commit does not wait for the WAL flush:
// only intermediate scores (REPORTs), which the RESULT supersedes. Everything a worker or a
// client is told about (a trial it is assigned, a result it is acknowledged) is committed
// synchronously first (docs/architecture.md, "Durability").
void NoWaitForFlush(pqxx::transaction_base& w) {
  w.exec0("SET LOCAL synchronous_commit = off");
}

bool FinishIfDone(pqxx::transaction_base& w, std::int64_t experiment_id, bool exhausted) {
  return !w.exec_prepared("experiment_finish_if_done", experiment_id, exhausted).empty();
}

class PgExperimentRepository : public ExperimentRepository {
 public:
  explicit PgExperimentRepository(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  Experiment Create(const ExperimentSpec& spec) override {
    const auto id = db_->Run([&](pqxx::connection& c) {
      pqxx::work w(c);
      const auto row = w.exec_prepared1(
          "experiment_insert", spec.name, ToJson(spec).dump(), spec.objective.metric,
          spec.objective.goal == Goal::kMaximize ? "maximize" : "minimize", spec.tuner.name,
          spec.max_trials, spec.parallelism);
      w.commit();
      return row[0].as<std::int64_t>();
    });
    return *Get(id);
  }

  std::optional<Experiment> Get(std::int64_t id) override {
    return db_->Run([&](pqxx::connection& c) -> std::optional<Experiment> {
      pqxx::read_transaction w(c);
      const auto result = w.exec_prepared("experiment_get", id);
      if (result.empty()) return std::nullopt;
      Experiment e = RowToExperiment(result[0], specs_);
      if (e.best) LoadSteps(w, *e.best);
      return e;
    });
  }

  ExperimentPage List(const ExperimentQuery& q) override {
    std::int64_t before = std::numeric_limits<std::int64_t>::max();
    if (!q.cursor.empty()) {
      try {
        before = std::stoll(q.cursor);
      } catch (const std::exception&) {
        throw Error(ErrorCode::kInvalidArgument, "malformed cursor", "cursor");
      }
    }
    const int limit = std::max(1, std::min(q.limit, 500));
    return db_->Run([&](pqxx::connection& c) {
      pqxx::read_transaction w(c);
      const char* state = q.state ? ExperimentStateName(*q.state).data() : nullptr;
      ExperimentPage page;
      for (const auto& row : w.exec_prepared("experiment_list", state, before, limit + 1)) {
        if (static_cast<int>(page.experiments.size()) == limit) {
          page.next_cursor = std::to_string(page.experiments.back().id);
          break;
        }
        page.experiments.push_back(RowToExperiment(row, specs_));
      }
      return page;
    });
  }

  std::vector<Experiment> ListRunning() override {
    return db_->Run([&](pqxx::connection& c) {
      pqxx::read_transaction w(c);
      std::vector<Experiment> out;
      for (const auto& row : w.exec_prepared("experiment_running"))
        out.push_back(RowToExperiment(row, specs_));
      return out;
    });
  }

  bool FinishIfDone(std::int64_t id, bool exhausted) override {
    return db_->Run([&](pqxx::connection& c) {
      pqxx::work w(c);
      const bool done = pg::FinishIfDone(w, id, exhausted);
      w.commit();
      return done;
    });
  }

  void SetState(std::int64_t id, ExperimentState state) override {
    db_->Run([&](pqxx::connection& c) {
      pqxx::work w(c);
      if (w.exec_prepared("experiment_set_state", id, ExperimentStateName(state).data()).empty())
        throw Error(ErrorCode::kNotFound, "no experiment " + std::to_string(id));
      w.commit();
    });
  }

  bool Transition(std::int64_t id, const std::vector<ExperimentState>& from, ExperimentState to,
                  const std::string& error, const std::string& trial_error) override {
    std::string states;
    for (const auto s : from)
      states += (states.empty() ? "" : ",") + std::string(ExperimentStateName(s));
    return db_->Run([&](pqxx::connection& c) {
      pqxx::work w(c);
      const char* name = ExperimentStateName(to).data();
      if (w.exec_prepared("experiment_transition", id, name, error, states).empty()) return false;
      if (to == ExperimentState::kStopped || to == ExperimentState::kFailed)
        w.exec_prepared0("experiment_end_trials", id, trial_error);
      w.commit();
      return true;
    });
  }

  bool Delete(std::int64_t id) override {
    return db_->Run([&](pqxx::connection& c) {
      pqxx::work w(c);
      w.exec_prepared0("experiment_clear_best", id);
      const bool deleted = !w.exec_prepared("experiment_delete", id).empty();
      w.commit();
      return deleted;
    });
  }

  bool Ping() override {
    try {
      return db_->Run([](pqxx::connection& c) {
        pqxx::nontransaction w(c);
        return w.exec1("SELECT 1")[0].as<int>() == 1;
      });
    } catch (const Error&) {
      return false;
    }
  }

 private:
  std::shared_ptr<Database> db_;
  SpecCache specs_;
};

class PgTrialRepository : public TrialRepository {
 public:
  explicit PgTrialRepository(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  Trial CreateRunning(std::int64_t experiment_id, const Params& params,
                      const std::string& worker) override {
    auto placed = PlaceAll({{experiment_id, worker, false, params}});
    if (!placed[0])
      throw Error(ErrorCode::kFailedPrecondition,
                  "experiment " + std::to_string(experiment_id) + " is not running");
    return std::move(*placed[0]);
  }

  std::optional<Trial> ClaimQueued(std::int64_t experiment_id, const std::string& worker) override {
    return std::move(PlaceAll({{experiment_id, worker, true, {}}})[0]);
  }

  std::vector<std::optional<Trial>> PlaceAll(const std::vector<Placement>& placements) override {
    if (placements.empty()) return {};
    return db_->Run([&](pqxx::connection& c) {
      pqxx::work w(c);
      w.exec_prepared("trials_seq_lock");  // seq in commit order (migration 0010)
      std::vector<std::optional<Trial>> out(placements.size());
      // New trials by experiment, in order: one number reservation and one INSERT each.
      std::map<std::int64_t, std::vector<std::size_t>> created;
      for (std::size_t i = 0; i < placements.size(); ++i) {
        const Placement& p = placements[i];
        if (!p.claim) {
          created[p.experiment_id].push_back(i);
          continue;
        }
        const auto row = w.exec_prepared("trial_claim_queued", p.experiment_id, p.worker);
        if (!row.empty()) out[i] = RowToTrial(row[0], 0);
      }
      for (const auto& [experiment_id, indices] : created) {
        const auto first = w.exec_prepared("experiment_reserve_numbers", experiment_id,
                                           static_cast<int>(indices.size()));
        if (first.empty()) continue;  // not running: nothing created
        const int number = first[0][0].as<int>();
        Json rows = Json::array();
        std::map<int, std::size_t> by_number;
        for (std::size_t k = 0; k < indices.size(); ++k) {
          const Placement& p = placements[indices[k]];
          rows.push_back({{"number", number + static_cast<int>(k)},
                          {"params", ToJson(p.params)},
                          {"worker", p.worker}});
          by_number[number + static_cast<int>(k)] = indices[k];
        }
        for (const auto& row :
             w.exec_prepared("trials_insert_running", experiment_id, rows.dump())) {
          Trial t = RowToTrial(row, 0);
          out[by_number.at(t.number)] = std::move(t);
        }
      }
      w.commit();
      return out;
    });
  }

  RecordOutcome Complete(const TrialKey& key, double value,
                         const std::map<std::string, double>& metrics,
                         const std::vector<StepScores>& steps) override {
    return FinishAll({{key, value, metrics, steps, ""}})[0];
  }

  RecordOutcome Fail(const TrialKey& key, const std::string& error) override {
    return FinishAll({{key, std::nullopt, {}, {}, error}})[0];
  }

  std::vector<RecordOutcome> FinishAll(const std::vector<Finish>& finishes) override {
    if (finishes.empty()) return {};
    Json completes = Json::array(), fails = Json::array();
    for (const Finish& f : finishes) {
      const Json attempt = {
          {"id", f.key.trial_id}, {"attempt", f.key.attempt}, {"worker", f.key.worker}};
      Json row = attempt;
      if (f.value) {
        row["value"] = *f.value;
        row["metrics"] = Json(f.metrics);
        completes.push_back(std::move(row));
      } else {
        row["error"] = f.error;
        fails.push_back(std::move(row));
      }
    }
    return db_->Run([&](pqxx::connection& c) {
      pqxx::work w(c);
      // Its statements find rows by key. A plan PostgreSQL keeps after a few executions was
      // made for the tables of that moment: in a new study, before autovacuum's first ANALYZE,
      // sequential scans of trials, kept as the trials grew (a batch's cost grew with the
      // study). Without sequential scans the kept plans are index lookups.
      w.exec0("SET LOCAL enable_seqscan = off");
      w.exec_prepared("trials_seq_lock");  // seq in commit order (migration 0010)
      // The trials each statement changed, with their experiments.
      std::map<std::int64_t, std::int64_t> completed, failed;
      if (!completes.empty())
        for (const auto& row : w.exec_prepared("trials_complete", completes.dump()))
          completed[row[0].as<std::int64_t>()] = row[1].as<std::int64_t>();
      if (!fails.empty())
        for (const auto& row : w.exec_prepared("trials_fail", fails.dump()))
          failed[row[0].as<std::int64_t>()] = row[1].as<std::int64_t>();
      std::vector<RecordOutcome> out(finishes.size());
      std::map<std::int64_t, std::size_t> last_of;  // experiment -> its last accepted finish
      Json steps = Json::array(), best = Json::array();
      std::set<std::tuple<std::int64_t, std::string, int>> step_keys;
      for (std::size_t i = 0; i < finishes.size(); ++i) {
        const Finish& f = finishes[i];
        auto& changed = f.value ? completed : failed;
        const auto it = changed.find(f.key.trial_id);
        if (it == changed.end()) {  // not running any more, or recorded earlier in the batch
          out[i] = Previous(w, f.key, f.value ? TrialState::kCompleted : TrialState::kFailed);
          continue;
        }
        out[i].recorded = Recorded::kAccepted;
        out[i].experiment_id = it->second;
        last_of[it->second] = i;
        changed.erase(it);  // a repeat later in the batch is a duplicate
        if (!f.value) continue;
        best.push_back({{"experiment_id", it->second},
                        {"id", f.key.trial_id},
                        {"value", *f.value},
                        {"ord", i}});
        for (const auto& s : f.steps)
          for (const auto& [name, v] : s.values)
            if (std::isfinite(v) && step_keys.insert({f.key.trial_id, name, s.step}).second)
              steps.push_back(
                  {{"trial_id", f.key.trial_id}, {"key", name}, {"step", s.step}, {"value", v}});
      }
      if (!steps.empty()) w.exec_prepared0("trials_steps_upsert", steps.dump());
      if (!best.empty()) w.exec_prepared0("experiments_update_best", best.dump());
      for (const auto& [experiment_id, i] : last_of)
        out[i].experiment_finished = pg::FinishIfDone(w, experiment_id, false);
      w.commit();
      return out;
    });
  }

  RecordOutcome Prune(const TrialKey& key, double value, const std::string& reason) override {
    return db_->Run([&](pqxx::connection& c) {
      pqxx::work w(c);
      const auto updated =
          w.exec_prepared("trial_prune", key.trial_id, key.attempt, value, reason, key.worker);
      if (updated.empty()) return Previous(w, key, TrialState::kPruned);
      RecordOutcome out;
      out.recorded = Recorded::kAccepted;
      out.experiment_id = updated[0][0].as<std::int64_t>();
      out.experiment_finished = pg::FinishIfDone(w, out.experiment_id, false);
      w.commit();
      return out;
    });
  }

  RequeueOutcome Requeue(const TrialKey& key, int max_attempts,
                         const std::string& reason) override {
    return db_->Run([&](pqxx::connection& c) {
      pqxx::work w(c);
      RequeueOutcome out;
      const auto updated =
          w.exec_prepared("trial_requeue", key.trial_id, key.attempt, max_attempts, reason);
      if (updated.empty()) return out;
      out.experiment_id = updated[0][1].as<std::int64_t>();
      if (updated[0][0].as<std::string>() == "failed") {
        out.result = Requeued::kFailed;
        out.experiment_finished = pg::FinishIfDone(w, out.experiment_id, false);
      } else {
        out.result = Requeued::kRequeued;
      }
      w.commit();
      return out;
    });
  }

  void RecordSteps(const std::vector<std::pair<TrialKey, StepScores>>& steps) override {
    if (steps.empty()) return;
    db_->Run([&](pqxx::connection& c) {
      pqxx::work w(c);
      NoWaitForFlush(w);
      for (const auto& [key, scores] : steps) {
        Json values = Json::object();
        for (const auto& [name, v] : scores.values)
          if (std::isfinite(v)) values[name] = v;
        w.exec_prepared0("trial_report", key.trial_id, key.attempt, scores.step, values.dump(),
                         key.worker);
      }
      w.commit();
    });
  }

  std::optional<Trial> Get(std::int64_t trial_id) override {
    return OneWithSteps("trial_get", trial_id);
  }

  std::optional<Trial> Best(std::int64_t experiment_id) override {
    return OneWithSteps("trial_best", experiment_id);
  }

  std::vector<Trial> ListAll(std::int64_t experiment_id) override {
    return db_->Run([&](pqxx::connection& c) {
      pqxx::read_transaction w(c);
      std::vector<Trial> out;
      for (const auto& row : w.exec_prepared("trial_all", experiment_id))
        out.push_back(RowToTrial(row, 0));
      return out;
    });
  }

  std::optional<std::string> Version(std::int64_t experiment_id) override {
    return db_->Run([&](pqxx::connection& c) -> std::optional<std::string> {
      pqxx::nontransaction w(c);  // one statement: its own snapshot, no BEGIN/COMMIT
      const auto row = w.exec_prepared("trials_version", experiment_id);
      if (row.empty())
        throw Error(ErrorCode::kNotFound, "no experiment " + std::to_string(experiment_id));
      return row[0][0].as<std::string>() + ":" + row[0][1].as<std::string>();
    });
  }

  TrialPage List(std::int64_t experiment_id, const TrialQuery& q) override {
    const int limit = std::max(1, std::min(q.limit, 1000));
    return db_->Run([&](pqxx::connection& c) {
      pqxx::read_transaction w(c);
      const auto direction = w.exec_prepared("trial_direction", experiment_id);
      if (direction.empty())
        throw Error(ErrorCode::kNotFound, "no experiment " + std::to_string(experiment_id));
      const char* state = StateParam(q.state);
      // The statements of one state have their own plans (statements.cpp).
      const std::string suffix = state ? "_state" : "";
      TrialPage page;
      auto take = [&](const pqxx::result& rows) {
        for (const auto& row : rows) page.trials.push_back(RowToTrial(row, 0));
      };
      if (q.sort == service::TrialSort::kNumber) {
        int after = q.descending ? std::numeric_limits<int>::max() : -1;
        if (!q.cursor.empty()) after = ParseNumberCursor(q.cursor);
        take(w.exec_prepared((q.descending ? "trials_number_desc" : "trials_number_asc") + suffix,
                             experiment_id, state, after, limit + 1));
        if (static_cast<int>(page.trials.size()) > limit) {
          page.trials.pop_back();
          page.next_cursor = "n:" + std::to_string(page.trials.back().number);
        }
        return page;
      }
      // By value, best first; then the trials without a value.
      const bool maximize = direction[0][0].as<std::string>() == "maximize";
      bool in_values = q.cursor.empty() || q.cursor.rfind("v:", 0) == 0;
      if (in_values) {
        double from = maximize ? std::numeric_limits<double>::infinity()
                               : -std::numeric_limits<double>::infinity();
        int after = -1;
        if (!q.cursor.empty()) ParseValueCursor(q.cursor, from, after);
        take(w.exec_prepared((maximize ? "trials_value_desc" : "trials_value_asc") + suffix,
                             experiment_id, state, from, after, limit + 1));
      }
      if (static_cast<int>(page.trials.size()) > limit) {
        page.trials.pop_back();
        const Trial& last = page.trials.back();
        page.next_cursor = "v:" + FormatDouble(*last.value) + ":" + std::to_string(last.number);
        return page;
      }
      const int after_null = in_values ? -1 : ParseNumberCursor(q.cursor);
      const int room = limit - static_cast<int>(page.trials.size());
      const std::size_t before = page.trials.size();
      take(w.exec_prepared("trials_value_null" + suffix, experiment_id, state, after_null,
                           room + 1));
      if (static_cast<int>(page.trials.size() - before) > room) {
        page.trials.pop_back();
        page.next_cursor = "n:" + std::to_string(page.trials.back().number);
      }
      return page;
    });
  }

 private:
  // A statement that selects at most one trial by `id`, with its per-step scores.
  std::optional<Trial> OneWithSteps(const char* statement, std::int64_t id) {
    return db_->Run([&](pqxx::connection& c) -> std::optional<Trial> {
      pqxx::read_transaction w(c);
      const auto result = w.exec_prepared(statement, id);
      if (result.empty()) return std::nullopt;
      Trial t = RowToTrial(result[0], 0);
      LoadSteps(w, t);
      return t;
    });
  }

  static RecordOutcome Previous(pqxx::transaction_base& w, const TrialKey& key,
                                TrialState recorded_state) {
    RecordOutcome out;
    const auto row = w.exec_prepared("trial_state", key.trial_id);
    if (row.empty()) return out;
    out.experiment_id = row[0][2].as<std::int64_t>();
    if (row[0][1].as<int>() == key.attempt && row[0][3].as<std::string>() == key.worker &&
        row[0][0].as<std::string>() == TrialStateName(recorded_state))
      out.recorded = Recorded::kDuplicate;
    return out;
  }

  static int ParseNumberCursor(const std::string& cursor) {
    try {
      if (cursor.rfind("n:", 0) == 0) return std::stoi(cursor.substr(2));
    } catch (const std::exception&) {
    }
    throw Error(ErrorCode::kInvalidArgument, "malformed cursor", "cursor");
  }

  static void ParseValueCursor(const std::string& cursor, double& value, int& number) {
    const auto colon = cursor.rfind(':');
    try {
      if (colon != std::string::npos && colon > 2) {
        value = std::stod(cursor.substr(2, colon - 2));
        number = std::stoi(cursor.substr(colon + 1));
        return;
      }
    } catch (const std::exception&) {
    }
    throw Error(ErrorCode::kInvalidArgument, "malformed cursor", "cursor");
  }

  std::shared_ptr<Database> db_;
};

class PgWorkerRepository : public WorkerRepository {
 public:
  explicit PgWorkerRepository(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  void Seen(const WorkerInfo& worker) override {
    db_->Run([&](pqxx::connection& c) {
      pqxx::work w(c);
      w.exec_prepared0("worker_seen", worker.id, worker.hostname, worker.slots, worker.version,
                       Json(worker.kinds).dump(), worker.only_experiment);
      w.commit();
    });
  }

  void Alive(const std::vector<std::string>& worker_ids) override {
    db_->Run([&](pqxx::connection& c) {
      pqxx::work w(c);
      w.exec_prepared0("workers_alive", Json(worker_ids).dump());
      w.commit();
    });
  }

  std::vector<WorkerInfo> ListAlive() override {
    return db_->Run([&](pqxx::connection& c) {
      pqxx::read_transaction r(c);
      std::vector<WorkerInfo> out;
      for (const auto& row : r.exec_prepared("workers_list_alive")) {
        WorkerInfo info;
        info.id = row[0].as<std::string>();
        info.hostname = row[1].as<std::string>();
        info.slots = row[2].as<int>();
        info.version = row[3].as<std::string>();
        info.kinds = Json::parse(row[4].as<std::string>()).get<std::vector<std::string>>();
        info.only_experiment = row[5].as<std::int64_t>();
        out.push_back(std::move(info));
      }
      return out;
    });
  }

  void MarkLost(const std::string& worker_id) override {
    db_->Run([&](pqxx::connection& c) {
      pqxx::work w(c);
      w.exec_prepared0("worker_lost", worker_id);
      w.commit();
    });
  }

  service::WorkerPage List(const service::WorkerQuery& q) override {
    const int limit = std::max(1, std::min(q.limit, 1000));
    std::string after;  // ids are 1..256 bytes: "" sorts before every one
    if (!q.cursor.empty()) {
      if (q.cursor.rfind("w:", 0) != 0 || q.cursor.size() < 3)
        throw Error(ErrorCode::kInvalidArgument, "malformed cursor", "cursor");
      after = q.cursor.substr(2);
    }
    return db_->Run([&](pqxx::connection& c) {
      pqxx::read_transaction w(c);
      service::WorkerPage page;
      for (const auto& r :
           w.exec_prepared("worker_list", service::kLostShownSeconds, after, limit + 1)) {
        if (static_cast<int>(page.workers.size()) == limit) {
          page.next_cursor = "w:" + page.workers.back().id;
          break;
        }
        service::Worker worker;
        worker.id = r[0].as<std::string>();
        worker.hostname = r[1].as<std::string>();
        worker.slots = r[2].as<int>();
        worker.version = r[3].as<std::string>();
        worker.state = r[4].as<std::string>();
        worker.first_seen = r[5].as<std::string>();
        worker.last_seen = r[6].as<std::string>();
        worker.running = r[7].as<int>();
        worker.done = r[8].as<int>();
        worker.kinds = Json::parse(r[9].as<std::string>()).get<std::vector<std::string>>();
        page.workers.push_back(std::move(worker));
      }
      return page;
    });
  }

 private:
  std::shared_ptr<Database> db_;
};

service::Dataset RowToDataset(const pqxx::row& r) {
  service::Dataset d;
  d.sha256 = r[0].as<std::string>();
  d.name = r[1].as<std::string>();
  d.size = r[2].as<std::int64_t>();
  d.created_at = r[3].as<std::string>();
  return d;
}

class PgDatasetRepository : public DatasetRepository {
 public:
  explicit PgDatasetRepository(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  service::Upload Put(const std::string& sha256, const std::string& name,
                      const std::string& bytes) override {
    // Sent as a binary parameter: no escaping of what may be hundreds of megabytes.
    const pqxx::binarystring data(bytes.data(), bytes.size());
    return db_->Run([&](pqxx::connection& c) {
      pqxx::work w(c);
      const auto row = w.exec_prepared1("dataset_put", sha256, name, data,
                                        static_cast<std::int64_t>(bytes.size()));
      w.commit();
      service::Upload out;
      out.dataset = RowToDataset(row);
      out.created = row[4].as<bool>();
      return out;
    });
  }

  std::optional<std::string> Bytes(const std::string& sha256) override {
    return db_->Run([&](pqxx::connection& c) -> std::optional<std::string> {
      pqxx::read_transaction w(c);
      const auto result = w.exec_prepared("dataset_bytes", sha256);
      if (result.empty()) return std::nullopt;
      const pqxx::binarystring data(result[0][0]);
      return data.str();
    });
  }

  std::optional<service::Dataset> Find(const std::string& sha256) override {
    return One("dataset_get", sha256);
  }

  std::optional<service::Dataset> FindByName(const std::string& name) override {
    return One("dataset_by_name", name);
  }

  std::vector<service::Dataset> List(const std::optional<std::string>& name, int limit) override {
    return db_->Run([&](pqxx::connection& c) {
      pqxx::read_transaction w(c);
      std::vector<service::Dataset> out;
      const char* filter = name ? name->c_str() : nullptr;
      for (const auto& row :
           w.exec_prepared("dataset_list", filter, std::max(1, std::min(limit, 1000))))
        out.push_back(RowToDataset(row));
      return out;
    });
  }

 private:
  std::optional<service::Dataset> One(const char* statement, const std::string& key) {
    return db_->Run([&](pqxx::connection& c) -> std::optional<service::Dataset> {
      pqxx::read_transaction w(c);
      const auto result = w.exec_prepared(statement, key);
      if (result.empty()) return std::nullopt;
      return RowToDataset(result[0]);
    });
  }

  std::shared_ptr<Database> db_;
};

}  // namespace

std::unique_ptr<ExperimentRepository> MakeExperimentRepository(std::shared_ptr<Database> db) {
  return std::make_unique<PgExperimentRepository>(std::move(db));
}
std::unique_ptr<TrialRepository> MakeTrialRepository(std::shared_ptr<Database> db) {
  return std::make_unique<PgTrialRepository>(std::move(db));
}
std::unique_ptr<WorkerRepository> MakeWorkerRepository(std::shared_ptr<Database> db) {
  return std::make_unique<PgWorkerRepository>(std::move(db));
}
std::unique_ptr<DatasetRepository> MakeDatasetRepository(std::shared_ptr<Database> db) {
  return std::make_unique<PgDatasetRepository>(std::move(db));
}

}  // namespace krige::storage::pg
