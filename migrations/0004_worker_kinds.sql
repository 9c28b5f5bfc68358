-- What each worker runs (krige::ServedKind names: "cv", "command", "function:NAME", as listed
-- at HELLO), and the one experiment it is pinned to, if any (krige::Optimize's local slots).
-- The API tells from them whether a running experiment has a worker that can run it.
ALTER TABLE workers ADD COLUMN kinds jsonb NOT NULL DEFAULT '[]';
ALTER TABLE workers ADD COLUMN only_experiment bigint;
