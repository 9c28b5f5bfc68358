-- The sweep-to-tracking mirror's trigger statements (0011) are planned once per session and
-- kept; a coordinator plans them at its first trials, while `runs` is still empty and never
-- analyzed. The planner then joined the batch's trials to `runs` by sequential scans, whose
-- cost grew with every trial of the study (20 000 no-op trials: a batch's result transaction
-- went from 4 ms to 17 ms). Their lookups are by unique keys (runs.trial_id,
-- tracking_experiments.sweep_id, experiments.id), so the functions plan without sequential
-- scans, whatever the statistics say at the time.
ALTER FUNCTION krige_trials_runs_insert() SET enable_seqscan = off;
ALTER FUNCTION krige_trials_runs_update() SET enable_seqscan = off;
ALTER FUNCTION krige_trial_metrics_runs() SET enable_seqscan = off;
