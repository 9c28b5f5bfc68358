-- Group commit: the scheduler's multi-row statements (results, failures, new and claimed
-- trials) set seq themselves, in the statement, after taking the advisory lock of 0007 at the
-- start of their transaction; seq then still follows commit order, and a batch of N trials
-- costs no N extra row updates (the per-row deferred trigger's UPDATE, each one also running
-- the statement-level count triggers of 0009). The trigger stays for every other write: it
-- fires only for rows whose statement left seq as it was.
DROP TRIGGER trials_seq_on_change ON trials;

CREATE CONSTRAINT TRIGGER trials_seq_on_insert AFTER INSERT ON trials
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (pg_trigger_depth() = 0 AND NEW.seq = 0)
  EXECUTE FUNCTION trials_assign_seq();

CREATE CONSTRAINT TRIGGER trials_seq_on_update AFTER UPDATE ON trials
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (pg_trigger_depth() = 0 AND NEW.seq = OLD.seq)
  EXECUTE FUNCTION trials_assign_seq();
