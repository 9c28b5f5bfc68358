-- A change sequence on trials: every insert or update of a trial row gives it the next value
-- of trials_change_seq in `seq`, so "what changed after seq S" is one index range scan
-- (the dashboard's increments, GET /api/v1/events). Forward-only.
--
-- Commit order: the value is assigned by a deferred constraint trigger, that is at COMMIT,
-- under a transaction-level advisory lock held until the commit is visible. So a reader that
-- sees seq S also sees every seq below S (no transaction can commit a smaller seq later), and
-- a cursor "after=S" never skips a change. The lock is held only for the commit itself; the
-- trigger touches only rows its own transaction wrote, so it cannot deadlock.
CREATE SEQUENCE trials_change_seq;

ALTER TABLE trials ADD COLUMN seq bigint NOT NULL DEFAULT 0;
UPDATE trials SET seq = nextval('trials_change_seq');
CREATE INDEX trials_experiment_seq_idx ON trials (experiment_id, seq);

CREATE FUNCTION trials_assign_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7021226907);  -- any constant shared by krige ("trialseq")
  UPDATE trials SET seq = nextval('trials_change_seq') WHERE id = NEW.id;
  RETURN NULL;
END
$$;

-- pg_trigger_depth() = 0: the trigger's own UPDATE does not queue another one.
CREATE CONSTRAINT TRIGGER trials_seq_on_change AFTER INSERT OR UPDATE ON trials
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (pg_trigger_depth() = 0)
  EXECUTE FUNCTION trials_assign_seq();
