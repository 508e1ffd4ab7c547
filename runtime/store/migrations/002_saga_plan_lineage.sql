-- Lineage of sagas moved to a newer version of their plan (`o2a sagas migrate`): one row per move,
-- with the changes between the two versions as `o2a diff` reports them. Read with saga.plan_hash,
-- which always names the version the saga runs under now.
CREATE TABLE saga_plan_migration (
  seq         bigserial PRIMARY KEY,
  saga_id     text NOT NULL REFERENCES saga(id),
  from_hash   text NOT NULL REFERENCES plan(hash),
  to_hash     text NOT NULL REFERENCES plan(hash),
  migrated_at timestamptz NOT NULL,
  changes     jsonb NOT NULL
);
CREATE INDEX saga_plan_migration_saga ON saga_plan_migration (saga_id, seq);
