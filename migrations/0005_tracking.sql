-- Experiment tracking (issue 11): runs with params, tags, metrics by step and artifacts, in the
-- same store as the sweeps. A sweep's trials are runs too: triggers below give every sweep a
-- tracking experiment and every trial a run (its params, status and scores), so one search API
-- serves both (docs/architecture.md, "Runs"). Forward-only, like every migration.

-- What runs belong to. A tracking experiment is made by name (POST /api/v1/runs creates it when
-- absent) or for a sweep (sweep_id set, one per sweep, by the trigger on experiments).
CREATE TABLE tracking_experiments (
  id         bigserial PRIMARY KEY,
  name       text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 256),
  sweep_id   bigint UNIQUE REFERENCES experiments (id) ON DELETE CASCADE,
  tags       jsonb NOT NULL DEFAULT '{}',  -- {key: "value"}
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE runs (
  id            bigserial PRIMARY KEY,
  experiment_id bigint NOT NULL REFERENCES tracking_experiments (id) ON DELETE CASCADE,
  trial_id      bigint UNIQUE REFERENCES trials (id) ON DELETE CASCADE,  -- a sweep's trial
  parent_run_id bigint REFERENCES runs (id) ON DELETE SET NULL,
  name          text NOT NULL DEFAULT '',
  status        text NOT NULL DEFAULT 'running'
                CHECK (status IN ('scheduled', 'running', 'finished', 'failed', 'killed')),
  params        jsonb NOT NULL DEFAULT '{}',  -- {key: "value"}; a key, once logged, keeps its value
  tags          jsonb NOT NULL DEFAULT '{}',  -- {key: "value"}; a tag may be set again
  start_time    timestamptz NOT NULL DEFAULT now(),
  end_time      timestamptz
);
-- search within experiments, newest first (the default order)
CREATE INDEX runs_experiment_start_idx ON runs (experiment_id, start_time DESC, id DESC);

-- Every point logged. The key (run, key, step, timestamp) makes a retried batch a no-op (the
-- same points again change nothing); two points at one step with different timestamps are
-- both kept, as MLflow keeps them. ts: milliseconds since the Unix epoch, as the client sent
-- it. value may be NaN, Infinity or -Infinity (float8 holds them).
-- No foreign key on run_id: it would cost a lookup per point (a third of a batch's insert);
-- every batch checks (and locks) its run in the same transaction instead, and the trigger
-- below removes a deleted run's points.
CREATE TABLE run_metrics (
  run_id bigint NOT NULL,
  key    text NOT NULL,
  step   bigint NOT NULL,
  ts     bigint NOT NULL,
  value  double precision NOT NULL,
  PRIMARY KEY (run_id, key, step, ts)  -- also the history's order
);

CREATE FUNCTION krige_run_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM run_metrics WHERE run_id = OLD.id;
  RETURN NULL;
END
$$;
CREATE TRIGGER runs_deleted AFTER DELETE ON runs
  FOR EACH ROW EXECUTE FUNCTION krige_run_deleted();

-- The latest point of each metric of a run (largest step, then timestamp): what search filters
-- and sorts on, and what the runs table shows.
CREATE TABLE run_latest_metrics (
  run_id bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key    text NOT NULL,
  step   bigint NOT NULL,
  ts     bigint NOT NULL,
  value  double precision NOT NULL,
  PRIMARY KEY (run_id, key)
);
CREATE INDEX run_latest_metrics_key_value_idx ON run_latest_metrics (key, value);

-- A trial's state as a run status.
CREATE FUNCTION krige_trial_run_status(state text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE state WHEN 'queued' THEN 'scheduled' WHEN 'running' THEN 'running'
    WHEN 'completed' THEN 'finished' WHEN 'pruned' THEN 'killed' ELSE 'failed' END
$$;

-- A trial's params ({"C": 0.5, "kernel": "rbf"}) as run params ({"C": "0.5", "kernel": "rbf"}).
CREATE FUNCTION krige_params_as_text(params jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(jsonb_object_agg(key, value #>> '{}'), '{}'::jsonb) FROM jsonb_each(params)
$$;

CREATE FUNCTION krige_ms(t timestamptz) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
  SELECT (extract(epoch FROM t) * 1000)::bigint
$$;

-- Records a point and keeps run_latest_metrics current (for the points the triggers add; the
-- API's batches do the same in one statement each, coordinator/storage/pg/runs.cpp).
CREATE FUNCTION krige_log_point(p_run bigint, p_key text, p_step bigint, p_ts bigint,
                                p_value double precision) RETURNS void LANGUAGE sql AS $$
  INSERT INTO run_metrics (run_id, key, step, ts, value) VALUES (p_run, p_key, p_step, p_ts, p_value)
    ON CONFLICT DO NOTHING;
  INSERT INTO run_latest_metrics AS l (run_id, key, step, ts, value)
    VALUES (p_run, p_key, p_step, p_ts, p_value)
    ON CONFLICT (run_id, key) DO UPDATE SET step = EXCLUDED.step, ts = EXCLUDED.ts,
      value = EXCLUDED.value WHERE (EXCLUDED.step, EXCLUDED.ts) >= (l.step, l.ts);
$$;

-- A sweep's tracking experiment: named like the sweep, or "NAME #ID" when that name is taken.
CREATE FUNCTION krige_sweep_tracking_experiment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    INSERT INTO tracking_experiments (name, sweep_id) VALUES (left(NEW.name, 256), NEW.id);
  EXCEPTION WHEN unique_violation THEN
    INSERT INTO tracking_experiments (name, sweep_id)
      VALUES (left(NEW.name, 200) || ' #' || NEW.id, NEW.id);
  END;
  RETURN NULL;
END
$$;
CREATE TRIGGER experiments_tracking AFTER INSERT ON experiments
  FOR EACH ROW EXECUTE FUNCTION krige_sweep_tracking_experiment();

-- A trial's run, made with the trial.
CREATE FUNCTION krige_trial_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO runs (experiment_id, trial_id, name, status, params, tags, start_time)
    SELECT te.id, NEW.id, 'trial ' || NEW.number, krige_trial_run_status(NEW.state),
           krige_params_as_text(NEW.params),
           jsonb_build_object('krige.trial.number', NEW.number::text,
                              'krige.sweep.id', NEW.experiment_id::text),
           NEW.created_at
      FROM tracking_experiments te WHERE te.sweep_id = NEW.experiment_id;
  RETURN NULL;
END
$$;
CREATE TRIGGER trials_run AFTER INSERT ON trials
  FOR EACH ROW EXECUTE FUNCTION krige_trial_run();

-- A trial's state and objective value follow into its run: the status, the end time, and the
-- value as the metric named by the sweep's objective (step 0, at the trial's end).
CREATE FUNCTION krige_trial_run_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r bigint;
BEGIN
  SELECT id INTO r FROM runs WHERE trial_id = NEW.id;
  IF r IS NULL THEN RETURN NULL; END IF;
  IF NEW.state IS DISTINCT FROM OLD.state THEN
    UPDATE runs SET status = krige_trial_run_status(NEW.state),
                    end_time = CASE WHEN NEW.state IN ('completed', 'failed', 'pruned')
                                    THEN coalesce(NEW.finished_at, now()) END
      WHERE id = r;
  END IF;
  IF NEW.value IS NOT NULL AND NEW.value IS DISTINCT FROM OLD.value THEN
    PERFORM krige_log_point(r, e.objective, 0, krige_ms(coalesce(NEW.finished_at, now())),
                            NEW.value)
      FROM experiments e WHERE e.id = NEW.experiment_id;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER trials_run_update AFTER UPDATE OF state, value ON trials
  FOR EACH ROW EXECUTE FUNCTION krige_trial_run_update();

-- Per-fold and per-step scores of a trial are its run's metrics too.
CREATE FUNCTION krige_trial_metric_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM krige_log_point(r.id, NEW.key, NEW.step, krige_ms(NEW.ts), NEW.value)
    FROM runs r WHERE r.trial_id = NEW.trial_id;
  RETURN NULL;
END
$$;
CREATE TRIGGER trial_metrics_run AFTER INSERT ON trial_metrics
  FOR EACH ROW EXECUTE FUNCTION krige_trial_metric_run();

-- Sweeps and trials that exist already get theirs now.
INSERT INTO tracking_experiments (name, sweep_id)
  SELECT CASE WHEN row_number() OVER (PARTITION BY name ORDER BY id) = 1 THEN left(name, 256)
              ELSE left(name, 200) || ' #' || id END, id
    FROM experiments ORDER BY id;
INSERT INTO runs (experiment_id, trial_id, name, status, params, tags, start_time, end_time)
  SELECT te.id, t.id, 'trial ' || t.number, krige_trial_run_status(t.state),
         krige_params_as_text(t.params),
         jsonb_build_object('krige.trial.number', t.number::text,
                            'krige.sweep.id', t.experiment_id::text),
         t.created_at, t.finished_at
    FROM trials t JOIN tracking_experiments te ON te.sweep_id = t.experiment_id ORDER BY t.id;
DO $$
BEGIN
  PERFORM krige_log_point(r.id, m.key, m.step, krige_ms(m.ts), m.value)
    FROM trial_metrics m JOIN runs r ON r.trial_id = m.trial_id;
  PERFORM krige_log_point(r.id, e.objective, 0, krige_ms(coalesce(t.finished_at, now())), t.value)
    FROM trials t JOIN runs r ON r.trial_id = t.id JOIN experiments e ON e.id = t.experiment_id
    WHERE t.value IS NOT NULL;
END
$$;
