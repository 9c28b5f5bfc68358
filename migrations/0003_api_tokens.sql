-- REST API tokens and the coordinator's own secrets. A token is stored only as the SHA-256 of
-- its text (hex): whoever reads this table learns no token. Forward-only, like every
-- migration.

CREATE TABLE api_tokens (
  id           bigserial PRIMARY KEY,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  role         text NOT NULL CHECK (role IN ('read', 'write', 'admin')),
  hash         text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$'),
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,  -- refreshed at most once per server cache period
  revoked_at   timestamptz
);

-- Keys the coordinator makes at first start and every krige-server on this database shares,
-- e.g. 'dataset_capability': the HMAC key of the dataset capabilities sent with ASSIGN.
CREATE TABLE server_secrets (
  name       text PRIMARY KEY,
  secret     bytea NOT NULL CHECK (length(secret) >= 32),
  created_at timestamptz NOT NULL DEFAULT now()
);
