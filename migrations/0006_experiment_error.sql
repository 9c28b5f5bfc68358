-- Why an experiment failed (state failed): e.g. the error of the trials that all failed before
-- any succeeded (spec max_failed_trials). Empty otherwise.
ALTER TABLE experiments ADD COLUMN error text NOT NULL DEFAULT '';
