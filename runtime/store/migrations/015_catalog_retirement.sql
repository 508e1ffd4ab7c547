-- Catalog snapshot versions retired for new orders (§31.4, stale catalog snapshot): a plan compiled
-- against a retired snapshot takes no new order (the intake rejects it, naming the plan and the
-- snapshot); the sagas already running on it finish as they are (pinned to their plan's hash).
CREATE TABLE catalog_retirement (
  catalog_id  text NOT NULL,
  version     text NOT NULL,
  retired_at  timestamptz NOT NULL,
  -- Why (free text), and the snapshot version plans are to be compiled against instead.
  reason      text,
  replaced_by text,
  PRIMARY KEY (catalog_id, version)
);
