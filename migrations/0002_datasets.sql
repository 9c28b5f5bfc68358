-- Datasets uploaded through the API, stored by the SHA-256 of their bytes, so a worker on any
-- machine can fetch (and verify) what a spec names. Forward-only, like every migration.

CREATE TABLE datasets (
  sha256     text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  name       text NOT NULL,
  bytes      bytea NOT NULL,
  size       bigint NOT NULL CHECK (size >= 0),
  created_at timestamptz NOT NULL DEFAULT now()  -- of the latest upload of these bytes
);
-- "name:<name>" in a spec resolves to the latest upload with that name
CREATE INDEX datasets_name_created_idx ON datasets (name, created_at DESC);
-- the list, newest first
CREATE INDEX datasets_created_idx ON datasets (created_at DESC);
