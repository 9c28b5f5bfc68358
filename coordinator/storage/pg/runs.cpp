// The run store: tracking experiments, runs, metric points. Fixed statements are named and
// prepared with the others (PrepareStatements calls PrepareRunStatements); the one statement
// whose shape depends on the request, the search, is compiled from the parsed filter tree with
// every value a numbered parameter ($n), never text in the SQL.
#include <charconv>
#include <cmath>
#include <limits>
#include <map>

#include <pqxx/tablewriter>

#include "krige/limits.hpp"
#include "krige/storage/pg.hpp"
#include "pg/database.hpp"
#include "pg/statements.hpp"

namespace krige::storage::pg {
namespace {

using service::FilterEntity;
using service::FilterNode;
using service::FilterOp;

const std::string kRunSelect =
    "SELECT r.id, r.experiment_id, te.name, r.trial_id, r.parent_run_id, r.name, r.status, "
    "krige_ms(r.start_time), krige_ms(r.end_time), r.params::text, r.tags::text, "
    "(SELECT coalesce(jsonb_object_agg(m.key, jsonb_build_array(m.value::text, m.step, m.ts)), "
    "'{}')::text FROM run_latest_metrics m WHERE m.run_id = r.id) "
    "FROM runs r JOIN tracking_experiments te ON te.id = r.experiment_id ";

const std::string kExperimentCols = "id, name, sweep_id, tags::text";

double ParseFloat8(const std::string& text) {
  if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (text == "Infinity") return std::numeric_limits<double>::infinity();
  if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
  return std::strtod(text.c_str(), nullptr);
}

std::map<std::string, std::string> StringMap(const std::string& json_text) {
  std::map<std::string, std::string> out;
  const Json parsed = Json::parse(json_text);  // items() does not keep a temporary alive
  for (const auto& [k, v] : parsed.items())
    out[k] = v.is_string() ? v.get<std::string>() : v.dump();
  return out;
}

std::optional<std::int64_t> OptionalInt(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::int64_t>();
}

RunInfo RowToRun(const pqxx::row& r) {
  RunInfo run;
  run.id = r[0].as<std::int64_t>();
  run.experiment_id = r[1].as<std::int64_t>();
  run.experiment_name = r[2].as<std::string>();
  run.trial_id = OptionalInt(r[3]);
  run.parent_run_id = OptionalInt(r[4]);
  run.name = r[5].as<std::string>();
  run.status = RunStatusFromName(r[6].as<std::string>());
  run.start_time = r[7].as<std::int64_t>();
  run.end_time = OptionalInt(r[8]);
  run.params = StringMap(r[9].as<std::string>());
  run.tags = StringMap(r[10].as<std::string>());
  const Json latest = Json::parse(r[11].as<std::string>());
  for (const auto& [k, v] : latest.items())
    run.latest_metrics[k] = MetricPoint{k, ParseFloat8(v.at(0).get<std::string>()),
                                        v.at(1).get<std::int64_t>(), v.at(2).get<std::int64_t>()};
  return run;
}

TrackingExperiment RowToExperiment(const pqxx::row& r) {
  TrackingExperiment e;
  e.id = r[0].as<std::int64_t>();
  e.name = r[1].as<std::string>();
  e.sweep_id = OptionalInt(r[2]);
  e.tags = StringMap(r[3].as<std::string>());
  return e;
}

std::string JsonObject(const service::KeyValues& kvs) {
  Json j = Json::object();
  for (const auto& [k, v] : kvs) j[k] = v;
  return j.dump();
}

// PostgreSQL array literals ("{...}") of the batch's columns: one parameter each, so a batch
// of 10 000 points is one statement.
void AppendQuoted(std::string& out, const std::string& text) {
  out += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

void AppendDouble(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "Infinity" : "-Infinity";
  } else {
    char buf[32];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, res.ptr);
  }
}

void AppendInt(std::string& out, std::int64_t v) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

struct Columns {
  std::string keys = "{", steps = "{", stamps = "{", values = "{";
  void Add(const MetricPoint& p) {
    if (keys.size() > 1) {
      keys += ',';
      steps += ',';
      stamps += ',';
      values += ',';
    }
    AppendQuoted(keys, p.key);
    AppendInt(steps, p.step);
    AppendInt(stamps, p.timestamp);
    AppendDouble(values, p.value);
  }
  void Close() {
    keys += '}';
    steps += '}';
    stamps += '}';
    values += '}';
  }
};

// The search's SQL, with its parameters collected in order.
class SearchCompiler {
 public:
  std::string Param(std::string value) {
    params_.push_back(std::move(value));
    return "$" + std::to_string(params_.size());
  }
  std::string Number(double v) {
    std::string s;
    AppendDouble(s, v);
    return Param(s) + "::float8";
  }

  std::string Node(const FilterNode& node) {
    if (node.kind == FilterNode::Kind::kTerm) return Term(node.term);
    if (node.children.empty()) return node.kind == FilterNode::Kind::kAnd ? "TRUE" : "FALSE";
    std::string out = "(";
    for (std::size_t i = 0; i < node.children.size(); ++i) {
      if (i) out += node.kind == FilterNode::Kind::kAnd ? " AND " : " OR ";
      out += Node(node.children[i]);
    }
    return out + ")";
  }

  // The SQL expression an entity stands for.
  std::string Expr(FilterEntity entity, const std::string& key) {
    switch (entity) {
      case FilterEntity::kMetric:
        return "(SELECT m.value FROM run_latest_metrics m WHERE m.run_id = r.id AND m.key = " +
               Param(key) + ")";
      case FilterEntity::kParam:
        return "(r.params ->> " + Param(key) + ")";
      case FilterEntity::kTag:
        return "(r.tags ->> " + Param(key) + ")";
      case FilterEntity::kAttribute:
        if (key == "status") return "r.status";
        if (key == "name") return "r.name";
        if (key == "run_id") return "r.id";
        if (key == "start_time") return "krige_ms(r.start_time)";
        return "krige_ms(r.end_time)";
    }
    return "NULL";
  }

  std::string Term(const service::FilterTerm& t) {
    static const char* const kOps[] = {"=", "<>", "<", "<=", ">", ">=", "LIKE", "ILIKE"};
    const std::string op = kOps[static_cast<int>(t.op)];
    const std::string value = t.numeric ? Number(t.number) : Param(t.text);
    if (t.entity == FilterEntity::kMetric)
      // NaN matches no comparison (PostgreSQL would order it above every number).
      return "EXISTS (SELECT 1 FROM run_latest_metrics m WHERE m.run_id = r.id AND m.key = " +
             Param(t.key) + " AND m.value <> 'NaN' AND m.value " + op + " " + value + ")";
    return "(" + Expr(t.entity, t.key) + " " + op + " " + value + ")";
  }

  std::vector<std::string>& params() { return params_; }

 private:
  std::vector<std::string> params_;
};

// COPY's text format of the batch's points, one line each (run_id, key, step, ts, value).
// Keys hold no control characters (the service refuses them); a backslash is doubled.
std::string CopyText(std::int64_t id, const std::vector<MetricPoint>& points) {
  std::string run;
  AppendInt(run, id);
  run += '\t';
  std::string out;
  out.reserve(points.size() * (run.size() + 48));
  for (const auto& p : points) {
    out += run;
    for (char c : p.key) {
      if (c == '\\') out += '\\';
      out += c;
    }
    out += '\t';
    AppendInt(out, p.step);
    out += '\t';
    AppendInt(out, p.timestamp);
    out += '\t';
    AppendDouble(out, p.value);
    out += '\n';
  }
  return out;
}

// Stores the points, skipping those already stored. The common case, a batch none of whose
// points is there yet, is one COPY (PostgreSQL's multi-row insert path; about twice the rate of
// INSERT ... ON CONFLICT over unnested arrays). A point already stored (a retried batch, or
// one logged again at the same step and timestamp) makes that COPY fail on the primary key:
// then the savepoint is rolled back and the points go through INSERT ... ON CONFLICT DO
// NOTHING, which skips exactly the stored ones, as before.
void InsertPoints(pqxx::work& w, std::int64_t id, const std::vector<MetricPoint>& points) {
  try {
    pqxx::subtransaction copy(w, "points");
    {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
      // tablewriter (deprecated in 6.4, gone in 7) is the one COPY writer of 6.4 that takes
      // preformatted lines; stream_to formats each field through a stream.
      static const std::vector<std::string> kColumns = {"run_id", "key", "step", "ts", "value"};
      pqxx::tablewriter writer(copy, "run_metrics", kColumns.begin(), kColumns.end());
#pragma GCC diagnostic pop
      writer.write_raw_line(CopyText(id, points));
      writer.complete();
    }
    copy.commit();
    return;
  } catch (const pqxx::unique_violation&) {
    // fall through: the savepoint is rolled back, the transaction goes on
  }
  Columns all;
  for (const auto& p : points) all.Add(p);
  all.Close();
  w.exec_prepared0("run_metrics_insert", id, all.keys, all.steps, all.stamps, all.values);
}

class PgRunRepository : public RunRepository {
 public:
  explicit PgRunRepository(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  TrackingExperiment EnsureExperiment(const std::string& name,
                                      const service::KeyValues& tags) override {
    return db_->Run([&](pqxx::connection& c) {
      pqxx::work w(c);
      const auto row = w.exec_prepared1("tracking_experiment_ensure", name, JsonObject(tags));
      w.commit();
      return RowToExperiment(row);
    });
  }

  std::optional<TrackingExperiment> FindExperiment(std::int64_t id) override {
    return db_->Run([&](pqxx::connection& c) -> std::optional<TrackingExperiment> {
      pqxx::read_transaction w(c);
      const auto result = w.exec_prepared("tracking_experiment_get", id);
      if (result.empty()) return std::nullopt;
      return RowToExperiment(result[0]);
    });
  }

  std::optional<TrackingExperiment> FindExperimentByName(const std::string& name) override {
    return db_->Run([&](pqxx::connection& c) -> std::optional<TrackingExperiment> {
      pqxx::read_transaction w(c);
      const auto result = w.exec_prepared("tracking_experiment_by_name", name);
      if (result.empty()) return std::nullopt;
      return RowToExperiment(result[0]);
    });
  }

  std::vector<std::pair<TrackingExperiment, std::int64_t>> ListExperiments(int limit) override {
    return db_->Run([&](pqxx::connection& c) {
      pqxx::read_transaction w(c);
      std::vector<std::pair<TrackingExperiment, std::int64_t>> out;
      for (const auto& row : w.exec_prepared("tracking_experiment_list", limit))
        out.emplace_back(RowToExperiment(row), row[4].as<std::int64_t>());
      return out;
    });
  }

  std::optional<TrackingExperiment> AddExperimentTags(std::int64_t id,
                                                      const service::KeyValues& tags) override {
    return db_->Run([&](pqxx::connection& c) -> std::optional<TrackingExperiment> {
      pqxx::work w(c);
      const auto result = w.exec_prepared("tracking_experiment_tag", id, JsonObject(tags));
      w.commit();
      if (result.empty()) return std::nullopt;
      return RowToExperiment(result[0]);
    });
  }

  RunInfo CreateRun(const NewRun& run) override {
    return db_->Run([&](pqxx::connection& c) {
      pqxx::work w(c);
      if (run.parent_run_id && w.exec_prepared("run_exists", *run.parent_run_id).empty())
        throw Error(ErrorCode::kNotFound, "no run " + std::to_string(*run.parent_run_id),
                    "parent_run_id");
      const auto id =
          w.exec_prepared1("run_insert", run.experiment_id, run.name, JsonObject(run.params),
                           JsonObject(run.tags), run.parent_run_id, run.start_time)[0]
              .as<std::int64_t>();
      const auto row = w.exec_prepared1("run_get", id);
      w.commit();
      return RowToRun(row);
    });
  }

  std::optional<RunInfo> FindRun(std::int64_t id) override {
    return db_->Run([&](pqxx::connection& c) -> std::optional<RunInfo> {
      pqxx::read_transaction w(c);
      const auto result = w.exec_prepared("run_get", id);
      if (result.empty()) return std::nullopt;
      return RowToRun(result[0]);
    });
  }

  std::optional<RunInfo> FindRunByTrial(std::int64_t trial_id) override {
    return db_->Run([&](pqxx::connection& c) -> std::optional<RunInfo> {
      pqxx::read_transaction w(c);
      const auto result = w.exec_prepared("run_by_trial", trial_id);
      if (result.empty()) return std::nullopt;
      return RowToRun(result[0]);
    });
  }

  void Log(std::int64_t id, const service::LogBatch& batch) override {
    // The latest point of each key in this batch (largest step, then timestamp).
    std::map<std::string, const MetricPoint*> latest;
    const MetricPoint* previous = nullptr;
    for (const auto& p : batch.metrics) {
      // Points of one key usually come in a row: skip the lookup for them.
      const MetricPoint*& best =
          previous && previous->key == p.key ? latest.find(p.key)->second : latest[p.key];
      if (!best ||
          std::make_pair(p.step, p.timestamp) >= std::make_pair(best->step, best->timestamp))
        best = &p;
      previous = &p;
    }
    Columns last;
    for (const auto& [key, p] : latest) last.Add(*p);  // in key order: see run_lock_shared
    last.Close();
    const bool pairs = !batch.params.empty() || !batch.tags.empty();
    const std::string params = JsonObject(batch.params), tags = JsonObject(batch.tags);
    db_->Run([&](pqxx::connection& c) {
      pqxx::work w(c);
      if (w.exec_prepared(pairs ? "run_lock" : "run_lock_shared", id).empty())
        throw Error(ErrorCode::kNotFound, "no run " + std::to_string(id), "id");
      if (pairs) {
        const auto changed = w.exec_prepared("run_param_conflict", id, params);
        if (!changed.empty()) {
          const std::string key = changed[0][0].as<std::string>();
          throw Error(ErrorCode::kFailedPrecondition,
                      "param \"" + key + "\" was logged with another value (\"" +
                          changed[0][1].as<std::string>() + "\"); a param keeps its first value",
                      "params." + key);
        }
        const auto counts = w.exec_prepared1("run_merge", id, params, tags);
        if (counts[0].as<std::int64_t>() > static_cast<std::int64_t>(limits::kRunParams))
          throw Error(ErrorCode::kInvalidArgument,
                      "a run holds at most " + std::to_string(limits::kRunParams) + " params",
                      "params");
        if (counts[1].as<std::int64_t>() > static_cast<std::int64_t>(limits::kRunTags))
          throw Error(ErrorCode::kInvalidArgument,
                      "a run holds at most " + std::to_string(limits::kRunTags) + " tags", "tags");
      }
      if (!batch.metrics.empty()) {
        InsertPoints(w, id, batch.metrics);
        w.exec_prepared0("run_latest_upsert", id, last.keys, last.steps, last.stamps, last.values);
      }
      w.commit();
    });
  }

  std::optional<RunInfo> End(std::int64_t id, RunStatus status, std::int64_t end_time) override {
    return db_->Run([&](pqxx::connection& c) -> std::optional<RunInfo> {
      pqxx::work w(c);
      const auto found = w.exec_prepared("run_lock", id);
      if (found.empty()) return std::nullopt;
      if (!found[0][0].is_null())
        throw Error(ErrorCode::kFailedPrecondition,
                    "run " + std::to_string(id) + " is trial " + found[0][0].as<std::string>() +
                        " of a sweep: its status follows the trial's",
                    "id");
      w.exec_prepared0("run_end", id, std::string(RunStatusName(status)), end_time);
      const auto row = w.exec_prepared1("run_get", id);
      w.commit();
      return RowToRun(row);
    });
  }

  std::vector<MetricPoint> History(std::int64_t id, const std::string& key,
                                   std::optional<std::pair<std::int64_t, std::int64_t>> after,
                                   int limit) override {
    const auto from =
        after.value_or(std::make_pair(std::int64_t{-1}, std::numeric_limits<std::int64_t>::min()));
    return db_->Run([&](pqxx::connection& c) {
      pqxx::read_transaction w(c);
      std::vector<MetricPoint> out;
      for (const auto& row :
           w.exec_prepared("run_metric_history", id, key, from.first, from.second, limit))
        out.push_back(MetricPoint{key, ParseFloat8(row[2].as<std::string>()),
                                  row[0].as<std::int64_t>(), row[1].as<std::int64_t>()});
      return out;
    });
  }

  std::vector<RunInfo> Search(const std::vector<std::int64_t>& experiment_ids,
                              const service::FilterNode& filter,
                              const std::vector<service::OrderBy>& order_by, std::int64_t offset,
                              int limit) override {
    SearchCompiler q;
    std::string ids = "{";
    for (std::size_t i = 0; i < experiment_ids.size(); ++i) {
      if (i) ids += ',';
      AppendInt(ids, experiment_ids[i]);
    }
    ids += '}';
    std::string sql = kRunSelect + "WHERE r.experiment_id = ANY(" + q.Param(ids) +
                      "::bigint[]) AND " + q.Node(filter) + " ORDER BY ";
    for (const auto& o : order_by)
      sql += q.Expr(o.entity, o.key) + (o.ascending ? " ASC NULLS LAST, " : " DESC NULLS LAST, ");
    sql += "r.start_time DESC, r.id DESC OFFSET " + q.Param(std::to_string(offset)) +
           "::bigint LIMIT " + q.Param(std::to_string(limit)) + "::int";
    return db_->Run([&](pqxx::connection& c) {
      pqxx::read_transaction w(c);
      std::vector<RunInfo> out;
      for (const auto& row : w.exec_params(sql, pqxx::prepare::make_dynamic_params(q.params())))
        out.push_back(RowToRun(row));
      return out;
    });
  }

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace

void PrepareRunStatements(pqxx::connection& c) {
  c.prepare("tracking_experiment_ensure",
            "INSERT INTO tracking_experiments AS te (name, tags) VALUES ($1, $2::jsonb) "
            "ON CONFLICT (name) DO UPDATE SET tags = te.tags || EXCLUDED.tags RETURNING " +
                kExperimentCols);
  c.prepare("tracking_experiment_get",
            "SELECT " + kExperimentCols + " FROM tracking_experiments WHERE id = $1");
  c.prepare("tracking_experiment_by_name",
            "SELECT " + kExperimentCols + " FROM tracking_experiments WHERE name = $1");
  c.prepare("tracking_experiment_list",
            "SELECT " + kExperimentCols +
                ", (SELECT count(*) FROM runs r WHERE r.experiment_id = te.id) "
                "FROM tracking_experiments te ORDER BY id DESC LIMIT $1");
  c.prepare("tracking_experiment_tag",
            "UPDATE tracking_experiments SET tags = tags || $2::jsonb WHERE id = $1 RETURNING " +
                kExperimentCols);
  c.prepare("run_exists", "SELECT 1 FROM runs WHERE id = $1");
  c.prepare("run_insert",
            "INSERT INTO runs (experiment_id, name, params, tags, parent_run_id, start_time) "
            "VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, "
            "coalesce(to_timestamp($6::bigint / 1000.0), now())) RETURNING id");
  c.prepare("run_get", kRunSelect + "WHERE r.id = $1");
  c.prepare("run_by_trial", kRunSelect + "WHERE r.trial_id = $1");
  // Concurrent batches of one run take turns: the param check and merge see each other.
  c.prepare("run_lock", "SELECT trial_id FROM runs WHERE id = $1 FOR UPDATE");
  // A batch of points only: batches of one run go in parallel (the end and param merges still
  // wait for them). Their latest-point upserts take the same rows in the same (key) order, so
  // they queue rather than deadlock.
  c.prepare("run_lock_shared", "SELECT trial_id FROM runs WHERE id = $1 FOR SHARE");
  c.prepare("run_param_conflict",
            "SELECT n.key, o.value FROM jsonb_each_text($2::jsonb) n "
            "JOIN jsonb_each_text((SELECT params FROM runs WHERE id = $1)) o USING (key) "
            "WHERE o.value <> n.value LIMIT 1");
  c.prepare("run_merge",
            "UPDATE runs SET params = params || $2::jsonb, tags = tags || $3::jsonb WHERE id = $1 "
            "RETURNING (SELECT count(*) FROM jsonb_object_keys(params)), "
            "(SELECT count(*) FROM jsonb_object_keys(tags))");
  c.prepare("run_metrics_insert",
            "INSERT INTO run_metrics (run_id, key, step, ts, value) SELECT $1, * FROM "
            "unnest($2::text[], $3::bigint[], $4::bigint[], $5::float8[]) ON CONFLICT DO NOTHING");
  c.prepare("run_latest_upsert",
            "INSERT INTO run_latest_metrics AS l (run_id, key, step, ts, value) SELECT $1, * FROM "
            "unnest($2::text[], $3::bigint[], $4::bigint[], $5::float8[]) "
            "ON CONFLICT (run_id, key) DO UPDATE SET step = EXCLUDED.step, ts = EXCLUDED.ts, "
            "value = EXCLUDED.value WHERE (EXCLUDED.step, EXCLUDED.ts) >= (l.step, l.ts)");
  c.prepare("run_end",
            "UPDATE runs SET status = $2, end_time = to_timestamp($3::bigint / 1000.0) "
            "WHERE id = $1");
  c.prepare("run_metric_history",
            "SELECT step, ts, value::text FROM run_metrics WHERE run_id = $1 AND key = $2 "
            "AND (step, ts) > ($3::bigint, $4::bigint) ORDER BY step, ts LIMIT $5");
}

std::unique_ptr<RunRepository> MakeRunRepository(std::shared_ptr<Database> db) {
  return std::make_unique<PgRunRepository>(std::move(db));
}

}  // namespace krige::storage::pg
