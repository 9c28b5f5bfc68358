-- krige schema, version 1. Forward-only: never edit once landed; add 0002_....sql instead.

CREATE TABLE experiments (
  id             bigserial PRIMARY KEY,
  name           text NOT NULL,
  spec           jsonb NOT NULL,
  state          text NOT NULL DEFAULT 'running'
                 CHECK (state IN ('running', 'paused', 'completed', 'stopped', 'failed')),
  objective      text NOT NULL,
  direction      text NOT NULL CHECK (direction IN ('minimize', 'maximize')),
  tuner          text NOT NULL,
  max_trials     integer NOT NULL CHECK (max_trials > 0),
  parallelism    integer NOT NULL CHECK (parallelism > 0),
  trials_created integer NOT NULL DEFAULT 0,  -- next trial number
  best_trial_id  bigint,
  created_at     timestamptz NOT NULL DEFAULT now(),
  finished_at    timestamptz
);
-- list experiments, newest first, optionally by state
CREATE INDEX experiments_state_id_idx ON experiments (state, id DESC);

CREATE TABLE trials (
  id            bigserial PRIMARY KEY,
  experiment_id bigint NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
  number        integer NOT NULL,
  params        jsonb NOT NULL,
  state         text NOT NULL
                CHECK (state IN ('queued', 'running', 'completed', 'failed', 'pruned')),
  attempt       integer NOT NULL DEFAULT 1 CHECK (attempt > 0),
  worker        text,
  value         double precision,
  metrics       jsonb NOT NULL DEFAULT '{}',
  error         text NOT NULL DEFAULT '',
  created_at    timestamptz NOT NULL DEFAULT now(),
  started_at    timestamptz,
  finished_at   timestamptz,
  UNIQUE (experiment_id, number)               -- also serves listing by number
);
CREATE INDEX trials_experiment_state_idx ON trials (experiment_id, state, number);
CREATE INDEX trials_experiment_value_idx ON trials (experiment_id, value, number)
  WHERE state = 'completed';
CREATE INDEX trials_active_worker_idx ON trials (worker) WHERE state IN ('queued', 'running');

ALTER TABLE experiments ADD CONSTRAINT experiments_best_trial_fk
  FOREIGN KEY (best_trial_id) REFERENCES trials (id) ON DELETE SET NULL;

-- per-step scores (a fold, an epoch): what REPORT and RESULT carry
CREATE TABLE trial_metrics (
  trial_id bigint NOT NULL REFERENCES trials (id) ON DELETE CASCADE,
  key      text NOT NULL,
  step     integer NOT NULL,
  value    double precision NOT NULL,
  ts       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (trial_id, key, step)
);

CREATE TABLE workers (
  id         text PRIMARY KEY,
  hostname   text NOT NULL DEFAULT '',
  slots      integer NOT NULL DEFAULT 1,
  version    text NOT NULL DEFAULT '',
  first_seen timestamptz NOT NULL DEFAULT now(),
  last_seen  timestamptz NOT NULL DEFAULT now(),
  state      text NOT NULL DEFAULT 'alive' CHECK (state IN ('alive', 'lost', 'gone'))
);
