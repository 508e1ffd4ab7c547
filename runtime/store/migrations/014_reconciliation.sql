-- Reconciliation (§22): what the sweeper (and `o2a reconcile`) found, and when it runs next.

-- One row per mismatch found: its kind (one of the nine of §22), what it concerns, what was seen
-- (the aggregates' and the components' states), what was done: repaired (the recorded answer
-- delivered again through the engine's inbox, or the order's state derived again), retried (a
-- lost timer armed again) or alerted (no safe automatic repair: a person decides; the public fact
-- ReconciliationMismatchFound says so). A dry run records nothing.
CREATE TABLE reconciliation_finding (
  id               text PRIMARY KEY,
  run_id           text NOT NULL,
  kind             text NOT NULL,
  product_order_id text NOT NULL,
  saga_id          text,
  step_id          text,
  -- What exactly is out of step (a step's idempotency key, a resource unit, an order): the same
  -- mismatch seen again by a later run is alerted once.
  subject          text NOT NULL,
  seen             jsonb NOT NULL,
  action           text NOT NULL,
  detail           text NOT NULL,
  found_at         timestamptz NOT NULL
);
CREATE INDEX reconciliation_finding_order ON reconciliation_finding (product_order_id, found_at);
CREATE INDEX reconciliation_finding_found ON reconciliation_finding (found_at);
CREATE UNIQUE INDEX reconciliation_finding_alerted ON reconciliation_finding (kind, subject) WHERE action = 'alerted';

-- The sweeper's timer: one row, claimed (FOR UPDATE SKIP LOCKED) and moved on by the process that
-- runs the sweep, so one process sweeps per interval whatever the number sharing the database.
CREATE TABLE reconciliation_schedule (
  id          integer PRIMARY KEY CHECK (id = 1),
  next_due    timestamptz NOT NULL,
  last_run_id text,
  last_run_at timestamptz
);
