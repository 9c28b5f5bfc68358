-- Group commit: the mirror of sweeps into tracking runs (0005) costed one plpgsql call per
-- trial row, per update and per score, four fifths of a batch's time in the database. The
-- same rules, as statement-level triggers over transition tables: one set-based statement per
-- batch. A trial's run is made with the trial; its status and end time follow its state; its
-- objective value is its run's metric (named by the sweep's objective, step 0, at the trial's
-- end); its per-step scores are its run's metrics too. run_latest_metrics keeps the latest
-- point per key (largest step, then timestamp), as krige_log_point does.
DROP TRIGGER trials_run ON trials;
DROP TRIGGER trials_run_update ON trials;
DROP TRIGGER trial_metrics_run ON trial_metrics;
DROP FUNCTION krige_trial_run();
DROP FUNCTION krige_trial_run_update();
DROP FUNCTION krige_trial_metric_run();

CREATE FUNCTION krige_trials_runs_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO runs (experiment_id, trial_id, name, status, params, tags, start_time)
    SELECT te.id, n.id, 'trial ' || n.number, krige_trial_run_status(n.state),
           krige_params_as_text(n.params),
           jsonb_build_object('krige.trial.number', n.number::text,
                              'krige.sweep.id', n.experiment_id::text),
           n.created_at
      FROM new_rows n JOIN tracking_experiments te ON te.sweep_id = n.experiment_id
      ORDER BY n.id;
  RETURN NULL;
END
$$;
CREATE TRIGGER trials_runs_insert AFTER INSERT ON trials
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION krige_trials_runs_insert();

CREATE FUNCTION krige_trials_runs_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE runs r SET status = krige_trial_run_status(n.state),
                    end_time = CASE WHEN n.state IN ('completed', 'failed', 'pruned')
                                    THEN coalesce(n.finished_at, now()) END
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE r.trial_id = n.id AND n.state IS DISTINCT FROM o.state;
  WITH p AS (
    SELECT r.id AS run_id, e.objective AS key, 0::bigint AS step,
           krige_ms(coalesce(n.finished_at, now())) AS ts, n.value
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      JOIN runs r ON r.trial_id = n.id JOIN experiments e ON e.id = n.experiment_id
      WHERE n.value IS NOT NULL AND n.value IS DISTINCT FROM o.value),
  points AS (
    INSERT INTO run_metrics (run_id, key, step, ts, value)
      SELECT run_id, key, step, ts, value FROM p ON CONFLICT DO NOTHING)
  INSERT INTO run_latest_metrics AS l (run_id, key, step, ts, value)
    SELECT DISTINCT ON (run_id, key) run_id, key, step, ts, value FROM p
      ORDER BY run_id, key, step DESC, ts DESC
    ON CONFLICT (run_id, key) DO UPDATE SET step = EXCLUDED.step, ts = EXCLUDED.ts,
      value = EXCLUDED.value WHERE (EXCLUDED.step, EXCLUDED.ts) >= (l.step, l.ts);
  RETURN NULL;
END
$$;
CREATE TRIGGER trials_runs_update AFTER UPDATE ON trials
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION krige_trials_runs_update();

CREATE FUNCTION krige_trial_metrics_runs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH p AS (
    SELECT r.id AS run_id, n.key, n.step::bigint AS step, krige_ms(n.ts) AS ts, n.value
      FROM new_rows n JOIN runs r ON r.trial_id = n.trial_id),
  points AS (
    INSERT INTO run_metrics (run_id, key, step, ts, value)
      SELECT run_id, key, step, ts, value FROM p ON CONFLICT DO NOTHING)
  INSERT INTO run_latest_metrics AS l (run_id, key, step, ts, value)
    SELECT DISTINCT ON (run_id, key) run_id, key, step, ts, value FROM p
      ORDER BY run_id, key, step DESC, ts DESC
    ON CONFLICT (run_id, key) DO UPDATE SET step = EXCLUDED.step, ts = EXCLUDED.ts,
      value = EXCLUDED.value WHERE (EXCLUDED.step, EXCLUDED.ts) >= (l.step, l.ts);
  RETURN NULL;
END
$$;
CREATE TRIGGER trial_metrics_runs AFTER INSERT ON trial_metrics
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION krige_trial_metrics_runs();
