// Every SQL statement krige runs on its hot paths, named and prepared on each connection.
#include "pg/statements.hpp"
#include "pg/database.hpp"

namespace krige::storage::pg {
namespace {

// A batch's running trials, found by primary key whatever the statistics say. A plain join
// with jsonb_to_recordset (planned as 100 rows) and `t.state = 'running'` let the planner read
// trials by a sequential scan (cheaper in its estimate until some 30 000 trials) or through
// the partial index of active trials (trials_active_worker_idx), which the literal state
// matches, hashing all its entries: the live trials and the dead ones of every trial that ran
// since the last vacuum. Either way a batch's cost grew with the study (20 000 no-op trials:
// 4 ms a batch at first, 17 ms at the end). Hence `t.id = ANY(the batch's ids)`, and the state
// compared with `r.running`, a column the JSON never has (NULL, so 'running'): the planner
// cannot prove the partial index's predicate from it.
#define KRIGE_BATCH_RUNNING                                                                \
  "t.id = ANY(ARRAY(SELECT (e ->> 'id')::bigint FROM jsonb_array_elements($1::jsonb) e)) " \
  "AND t.state = coalesce(r.running, 'running')"

#define KRIGE_TS(col) \
  "coalesce(to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), '')"

}  // namespace

const char* const kTrialColumns =
    "t.id, t.experiment_id, t.number, t.params::text, t.state, t.attempt, coalesce(t.worker, ''), "
    "t.value, t.metrics::text, t.error, " KRIGE_TS("t.created_at") ", " KRIGE_TS(
        "t.started_at") ", " KRIGE_TS("t.finished_at");

namespace {

const std::string kTrialCols = kTrialColumns;

// Counts are kept by triggers on trials (migration 0009): reading them costs the same at any
// number of trials.
const std::string kExperimentSelect =
    "SELECT e.id, e.spec::text, e.state, " KRIGE_TS("e.created_at") ", " KRIGE_TS(
        "e.finished_at") ", e.n_queued, e.n_running, e.n_completed, e.n_failed, e.n_pruned, e.error, " +
    std::string(kTrialColumns) +
    " FROM experiments e"
    " LEFT JOIN trials t ON t.id = e.best_trial_id ";

}  // namespace

void PrepareStatements(pqxx::connection& c) {
  // experiments
  c.prepare("experiment_insert",
            "INSERT INTO experiments (name, spec, objective, direction, tuner, max_trials, "
            "parallelism) VALUES ($1, $2::jsonb, $3, $4, $5, $6, $7) RETURNING id");
  c.prepare("experiment_get", kExperimentSelect + "WHERE e.id = $1");
  c.prepare("experiment_list", kExperimentSelect +
                                   "WHERE ($1::text IS NULL OR e.state = $1) AND e.id < $2 "
                                   "ORDER BY e.id DESC LIMIT $3");
  c.prepare("experiment_running",
            kExperimentSelect + "WHERE e.state IN ('running', 'paused') ORDER BY e.id");
  // The subquery is correlated with the row on purpose: an uncorrelated one is an InitPlan,
  // run on every call before the budget is even looked at, and while trials complete it walks
  // the index entries of every trial that was active since the last vacuum (a cost that grew
  // with the study). Correlated, it is the inner side of an anti join, probed only once the
  // budget is spent.
  c.prepare("experiment_finish_if_done",
            "UPDATE experiments e SET state = 'completed', finished_at = now() "
            "WHERE e.id = $1 AND e.state = 'running' AND (e.trials_created >= e.max_trials OR $2) "
            "AND NOT EXISTS (SELECT 1 FROM trials t WHERE t.experiment_id = e.id "
            "AND t.state IN ('queued', 'running')) RETURNING e.id");
  c.prepare("experiment_set_state",
            "UPDATE experiments SET state = $2, finished_at = CASE WHEN $2 IN ('completed', "
            "'stopped', 'failed') THEN now() ELSE NULL END WHERE id = $1 RETURNING id");
  // $4: the states it may leave, comma-separated.
  c.prepare("experiment_transition",
            "UPDATE experiments SET state = $2, error = $3, finished_at = CASE WHEN $2 IN "
            "('completed', 'stopped', 'failed') THEN now() ELSE NULL END "
            "WHERE id = $1 AND state = ANY (string_to_array($4, ',')) RETURNING id");
  c.prepare("experiment_end_trials",
            "UPDATE trials SET state = 'failed', error = $2, finished_at = now() "
            "WHERE experiment_id = $1 AND state IN ('queued', 'running')");
  // best_trial_id first: its foreign key would otherwise act on the row being deleted.
  c.prepare("experiment_clear_best", "UPDATE experiments SET best_trial_id = NULL WHERE id = $1");
  c.prepare("experiment_delete", "DELETE FROM experiments WHERE id = $1 RETURNING id");
  // $2 numbers for new trials; returns the first.
  c.prepare("experiment_reserve_numbers",
            "UPDATE experiments SET trials_created = trials_created + $2 WHERE id = $1 AND "
            "state = 'running' RETURNING trials_created - $2");
  // Group commit: the best of a batch of completed trials per experiment ($1: a JSON array
  // of {experiment_id, id, value, ord}, ord their order of recording; ties go to the first).
  c.prepare("experiments_update_best",
            "UPDATE experiments e SET best_trial_id = c.id FROM ("
            "SELECT DISTINCT ON (r.experiment_id) r.experiment_id, r.id, r.value "
            "FROM jsonb_to_recordset($1::jsonb) "
            "AS r(experiment_id bigint, id bigint, value double precision, ord bigint) "
            "JOIN experiments x ON x.id = r.experiment_id ORDER BY r.experiment_id, "
            "CASE WHEN x.direction = 'maximize' THEN -r.value ELSE r.value END, ord) c "
            "WHERE e.id = c.experiment_id AND (e.best_trial_id IS NULL OR EXISTS (SELECT 1 FROM "
            "trials b WHERE b.id = e.best_trial_id AND CASE WHEN e.direction = 'maximize' THEN "
            "c.value > b.value ELSE c.value < b.value END))");

  // trials
  // Statements that set seq themselves run after "trials_seq_lock" in their transaction
  // (migration 0010); the deferred trigger assigns it for every other write.
  c.prepare("trials_seq_lock", "SELECT pg_advisory_xact_lock(7021226907)");
  // $2: a JSON array of {number, params, worker}.
  c.prepare("trials_insert_running",
            "INSERT INTO trials AS t (experiment_id, number, params, state, attempt, worker, "
            "started_at, seq) SELECT $1, r.number, r.params, 'running', 1, r.worker, now(), "
            "nextval('trials_change_seq') "
            "FROM jsonb_to_recordset($2::jsonb) AS r(number integer, params jsonb, worker text) "
            "RETURNING " +
                kTrialCols);
  c.prepare("trial_claim_queued",
            "UPDATE trials AS t SET state = 'running', worker = $2, started_at = now(), "
            "seq = nextval('trials_change_seq') "
            "WHERE t.id = (SELECT id FROM trials WHERE experiment_id = $1 AND state = 'queued' "
            "ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING " +
                kTrialCols);
  // Group commit ($1: a JSON array of attempts); each returns the trials it changed.
  c.prepare("trials_complete",
            "UPDATE trials t SET state = 'completed', value = r.value, metrics = r.metrics, "
            "finished_at = now(), error = '', seq = nextval('trials_change_seq') FROM "
            "jsonb_to_recordset($1::jsonb) AS r(id bigint, "
            "attempt integer, value double precision, metrics jsonb, worker text, running text) "
            "WHERE t.id = r.id AND t.attempt = r.attempt AND t.worker = r.worker "
            "AND " KRIGE_BATCH_RUNNING " RETURNING t.id, t.experiment_id");
  c.prepare("trials_fail",
            "UPDATE trials t SET state = 'failed', error = r.error, finished_at = now(), "
            "seq = nextval('trials_change_seq') "
            "FROM jsonb_to_recordset($1::jsonb) AS r(id bigint, attempt integer, error text, "
            "worker text, running text) WHERE t.id = r.id AND t.attempt = r.attempt "
            "AND t.worker = r.worker AND " KRIGE_BATCH_RUNNING " RETURNING t.id, t.experiment_id");
  c.prepare("trials_steps_upsert",
            "INSERT INTO trial_metrics (trial_id, key, step, value) "
            "SELECT r.trial_id, r.key, r.step, r.value FROM jsonb_to_recordset($1::jsonb) "
            "AS r(trial_id bigint, key text, step integer, value double precision) "
            "ON CONFLICT (trial_id, key, step) DO UPDATE SET value = EXCLUDED.value, ts = now()");
  c.prepare("trial_prune",
            "UPDATE trials SET state = 'pruned', value = $3, error = $4, finished_at = now() "
            "WHERE id = $1 AND attempt = $2 AND state = 'running' AND worker = $5 "
            "RETURNING experiment_id");
  c.prepare("trial_requeue",
            "UPDATE trials SET "
            "state = CASE WHEN attempt >= $3 THEN 'failed' ELSE 'queued' END, "
            "attempt = CASE WHEN attempt >= $3 THEN attempt ELSE attempt + 1 END, "
            "error = $4, worker = CASE WHEN attempt >= $3 THEN worker ELSE NULL END, "
            "started_at = CASE WHEN attempt >= $3 THEN started_at ELSE NULL END, "
            "finished_at = CASE WHEN attempt >= $3 THEN now() ELSE NULL END "
            "WHERE id = $1 AND attempt = $2 AND state = 'running' RETURNING state, experiment_id");
  c.prepare("trial_state",
            "SELECT state, attempt, experiment_id, coalesce(worker, '') FROM trials WHERE id = $1");
  c.prepare("trial_report",
            "INSERT INTO trial_metrics (trial_id, key, step, value) "
            "SELECT $1, r.key, $3, r.value::double precision FROM jsonb_each_text($4::jsonb) r "
            "WHERE EXISTS (SELECT 1 FROM trials WHERE id = $1 AND attempt = $2 AND state = "
            "'running' AND worker = $5) ON CONFLICT (trial_id, key, step) DO UPDATE SET value = "
            "EXCLUDED.value, "
            "ts = now()");
  c.prepare("trial_steps",
            "SELECT key, step, value FROM trial_metrics WHERE trial_id = $1 ORDER BY step, key");
  c.prepare("trial_get", "SELECT " + kTrialCols + " FROM trials t WHERE t.id = $1");
  c.prepare("trial_all",
            "SELECT " + kTrialCols + " FROM trials t WHERE t.experiment_id = $1 ORDER BY t.number");
  c.prepare("trial_best", "SELECT " + kTrialCols +
                              " FROM experiments e JOIN trials t ON t.id = e.best_trial_id "
                              "WHERE e.id = $1");
  c.prepare("trial_direction", "SELECT direction FROM experiments WHERE id = $1");
  // What changes whenever a trial of the experiment is added or changed (its newest `seq`,
  // one step down the (experiment_id, seq) index) or removed (the kept counts' total).
  c.prepare("trials_version",
            "SELECT coalesce((SELECT max(t.seq) FROM trials t WHERE t.experiment_id = e.id), 0), "
            "e.n_queued + e.n_running + e.n_completed + e.n_failed + e.n_pruned "
            "FROM experiments e WHERE e.id = $1");
  // Keyset pagination: by number either way; by value best first, then the trials without
  // a value (queued, running, failed) by number. Each comes in two forms, all states and one
  // state ("_state", $2), so that the plan is an index range either way (an "$2 IS NULL OR"
  // filter would hide the partial indexes of migration 0009 from the planner).
  for (const bool one_state : {false, true}) {
    const std::string suffix = one_state ? "_state" : "";
    const std::string filter = one_state ? " AND t.state = $2" : " AND $2::text IS NULL";
    const std::string from = "SELECT " + kTrialCols + " FROM trials t WHERE t.experiment_id = $1";
    c.prepare("trials_number_asc" + suffix,
              from + filter + " AND t.number > $3 ORDER BY t.number LIMIT $4");
    c.prepare("trials_number_desc" + suffix,
              from + filter + " AND t.number < $3 ORDER BY t.number DESC LIMIT $4");
    // Best first for maximize: value descending, ties by number; the bound "value <= $3" is
    // the index range, the rest drops the ties already served.
    c.prepare("trials_value_desc" + suffix,
              from + filter +
                  " AND t.value IS NOT NULL AND t.value <= $3 AND (t.value < $3 OR t.number > $4) "
                  "ORDER BY t.value DESC, t.number LIMIT $5");
    c.prepare("trials_value_asc" + suffix,
              from + filter +
                  " AND t.value IS NOT NULL AND (t.value, t.number) > ($3, $4) "
                  "ORDER BY t.value, t.number LIMIT $5");
    c.prepare("trials_value_null" + suffix,
              from + filter + " AND t.value IS NULL AND t.number > $3 ORDER BY t.number LIMIT $4");
  }

  // workers
  c.prepare("worker_seen",
            "INSERT INTO workers (id, hostname, slots, version, kinds, only_experiment) "
            "VALUES ($1, $2, $3, $4, $5::jsonb, NULLIF($6::bigint, 0)) "
            "ON CONFLICT (id) DO UPDATE SET hostname = CASE WHEN EXCLUDED.hostname = '' THEN "
            "workers.hostname ELSE EXCLUDED.hostname END, slots = EXCLUDED.slots, version = "
            "CASE WHEN EXCLUDED.version = '' THEN workers.version ELSE EXCLUDED.version END, "
            "kinds = EXCLUDED.kinds, only_experiment = EXCLUDED.only_experiment, "
            "last_seen = now(), state = 'alive'");
  c.prepare("worker_lost", "UPDATE workers SET state = 'lost', last_seen = now() WHERE id = $1");
  // $1: a JSON array of the ids the scheduler knows to be alive.
  c.prepare("workers_alive",
            "WITH alive AS (SELECT jsonb_array_elements_text($1::jsonb) AS id) "
            "UPDATE workers SET last_seen = CASE WHEN workers.id IN (SELECT id FROM alive) "
            "THEN now() ELSE workers.last_seen END, state = CASE WHEN workers.id IN (SELECT id "
            "FROM alive) THEN 'alive' ELSE 'lost' END "
            "WHERE state = 'alive' OR workers.id IN (SELECT id FROM alive)");
  c.prepare("workers_list_alive",
            "SELECT id, hostname, slots, version, kinds::text, COALESCE(only_experiment, 0) "
            "FROM workers WHERE state = 'alive' ORDER BY id LIMIT 100000");
  // A page of workers ($2: after this id; $3: page size + 1) with their trial counts; one scan
  // of the page's trials (trials has no index by worker for finished ones).
  c.prepare("worker_list",
            "WITH page AS (SELECT id, hostname, slots, version, state, first_seen, last_seen, "
            "kinds "
            "FROM workers WHERE (state = 'alive' OR (state = 'lost' AND last_seen > now() - "
            "make_interval(secs => $1))) AND id > $2 ORDER BY id LIMIT $3), "
            "counts AS (SELECT worker, count(*) FILTER (WHERE state = 'running') AS running, "
            "count(*) FILTER (WHERE state IN ('completed', 'failed')) AS done FROM trials "
            "WHERE worker IN (SELECT id FROM page) GROUP BY worker) "
            "SELECT p.id, p.hostname, p.slots, p.version, p.state, " KRIGE_TS(
                "p.first_seen") ", " KRIGE_TS("p.last_seen") ", coalesce(c.running, 0), "
            "coalesce(c.done, 0), p.kinds::text FROM page p LEFT JOIN counts c ON c.worker = p.id ORDER BY p.id");

  // datasets. xmax = 0 only on a row this statement inserted (an upsert that updated an
  // existing row has set xmax): the way to tell "created" from "stored before".
  const std::string dataset_cols = "sha256, name, size, " KRIGE_TS("created_at");
  c.prepare("dataset_put",
            "INSERT INTO datasets AS d (sha256, name, bytes, size) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (sha256) DO UPDATE SET name = EXCLUDED.name, created_at = now() "
            "RETURNING " +
                dataset_cols + ", (xmax = 0) AS created");
  c.prepare("dataset_bytes", "SELECT bytes FROM datasets WHERE sha256 = $1");
  c.prepare("dataset_get", "SELECT " + dataset_cols + " FROM datasets WHERE sha256 = $1");
  c.prepare("dataset_by_name", "SELECT " + dataset_cols +
                                   " FROM datasets WHERE name = $1 "
                                   "ORDER BY created_at DESC, sha256 LIMIT 1");
  c.prepare("dataset_list", "SELECT " + dataset_cols +
                                " FROM datasets WHERE ($1::text IS NULL OR name = $1) "
                                "ORDER BY created_at DESC, sha256 LIMIT $2");

  PrepareTokenStatements(c);
  PrepareRunStatements(c);
}

}  // namespace krige::storage::pg
