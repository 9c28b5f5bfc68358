-- Trial counts by state, kept on the experiment instead of counted on every read: a read of
-- an experiment costs the same at 10 trials and at 1 000 000. Statement-level triggers with
-- transition tables add up each statement's changes once (a multi-row write is one UPDATE of
-- each experiment it touches), and only experiments whose counts changed are written.
ALTER TABLE experiments
  ADD COLUMN n_queued    bigint NOT NULL DEFAULT 0,
  ADD COLUMN n_running   bigint NOT NULL DEFAULT 0,
  ADD COLUMN n_completed bigint NOT NULL DEFAULT 0,
  ADD COLUMN n_failed    bigint NOT NULL DEFAULT 0,
  ADD COLUMN n_pruned    bigint NOT NULL DEFAULT 0;

UPDATE experiments e SET
  n_queued    = c.queued,
  n_running   = c.running,
  n_completed = c.completed,
  n_failed    = c.failed,
  n_pruned    = c.pruned
FROM (SELECT experiment_id,
             count(*) FILTER (WHERE state = 'queued')    AS queued,
             count(*) FILTER (WHERE state = 'running')   AS running,
             count(*) FILTER (WHERE state = 'completed') AS completed,
             count(*) FILTER (WHERE state = 'failed')    AS failed,
             count(*) FILTER (WHERE state = 'pruned')    AS pruned
      FROM trials GROUP BY experiment_id) c
WHERE e.id = c.experiment_id;

-- Adds one statement's changes to trials (rows added, removed, or moved from one state to
-- another) to their experiments' counts.
CREATE FUNCTION krige_trial_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE experiments e SET
      n_queued = e.n_queued + d.queued, n_running = e.n_running + d.running,
      n_completed = e.n_completed + d.completed, n_failed = e.n_failed + d.failed,
      n_pruned = e.n_pruned + d.pruned
    FROM (SELECT experiment_id,
                 count(*) FILTER (WHERE state = 'queued')    AS queued,
                 count(*) FILTER (WHERE state = 'running')   AS running,
                 count(*) FILTER (WHERE state = 'completed') AS completed,
                 count(*) FILTER (WHERE state = 'failed')    AS failed,
                 count(*) FILTER (WHERE state = 'pruned')    AS pruned
          FROM new_rows GROUP BY experiment_id) d
    WHERE e.id = d.experiment_id;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE experiments e SET
      n_queued = e.n_queued - d.queued, n_running = e.n_running - d.running,
      n_completed = e.n_completed - d.completed, n_failed = e.n_failed - d.failed,
      n_pruned = e.n_pruned - d.pruned
    FROM (SELECT experiment_id,
                 count(*) FILTER (WHERE state = 'queued')    AS queued,
                 count(*) FILTER (WHERE state = 'running')   AS running,
                 count(*) FILTER (WHERE state = 'completed') AS completed,
                 count(*) FILTER (WHERE state = 'failed')    AS failed,
                 count(*) FILTER (WHERE state = 'pruned')    AS pruned
          FROM old_rows GROUP BY experiment_id) d
    WHERE e.id = d.experiment_id;
  ELSE
    UPDATE experiments e SET
      n_queued = e.n_queued + d.queued, n_running = e.n_running + d.running,
      n_completed = e.n_completed + d.completed, n_failed = e.n_failed + d.failed,
      n_pruned = e.n_pruned + d.pruned
    FROM (SELECT experiment_id,
                 sum(CASE WHEN state = 'queued'    THEN n ELSE 0 END) AS queued,
                 sum(CASE WHEN state = 'running'   THEN n ELSE 0 END) AS running,
                 sum(CASE WHEN state = 'completed' THEN n ELSE 0 END) AS completed,
                 sum(CASE WHEN state = 'failed'    THEN n ELSE 0 END) AS failed,
                 sum(CASE WHEN state = 'pruned'    THEN n ELSE 0 END) AS pruned
          FROM (SELECT o.experiment_id, o.state, -1 AS n
                  FROM old_rows o JOIN new_rows w ON w.id = o.id WHERE w.state <> o.state
                UNION ALL
                SELECT w.experiment_id, w.state, 1
                  FROM old_rows o JOIN new_rows w ON w.id = o.id WHERE w.state <> o.state) c
          GROUP BY experiment_id) d
    WHERE e.id = d.experiment_id;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER trials_counts_insert AFTER INSERT ON trials
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION krige_trial_counts();
CREATE TRIGGER trials_counts_update AFTER UPDATE ON trials
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION krige_trial_counts();
CREATE TRIGGER trials_counts_delete AFTER DELETE ON trials
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION krige_trial_counts();

-- Trial pages by value, best first for either goal, on an index: the keyset condition of
-- GET .../trials?sort=value is an index range, not a sort of the whole experiment.
CREATE INDEX trials_value_asc_idx ON trials (experiment_id, value, number)
  WHERE value IS NOT NULL;
CREATE INDEX trials_value_desc_idx ON trials (experiment_id, value DESC, number)
  WHERE value IS NOT NULL;
CREATE INDEX trials_no_value_idx ON trials (experiment_id, number) WHERE value IS NULL;
DROP INDEX IF EXISTS trials_experiment_value_idx;
