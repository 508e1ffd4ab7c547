-- o2a runtime schema, version 1. Separate aggregates (§29): no table holds another's state.
-- Timestamps come from the runtime's clock (a parameter), never from now(), so that tests can
-- drive time.

CREATE TABLE plan (
  hash          text PRIMARY KEY,
  plan_id       text NOT NULL,
  plan_version  integer NOT NULL,
  offering_id   text NOT NULL,
  kind          text NOT NULL,
  body          jsonb NOT NULL,
  registered_at timestamptz NOT NULL
);
CREATE INDEX plan_offering ON plan (offering_id, plan_version);

-- Commercial aggregate (TMF622 states).
CREATE TABLE product_order (
  id             text PRIMARY KEY,
  external_id    text,
  correlation_id text NOT NULL,
  customer_id    text,
  state          text NOT NULL,
  scenario       jsonb,
  body           jsonb NOT NULL,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL
);
CREATE INDEX product_order_state ON product_order (state, updated_at);

CREATE TABLE product_order_item (
  product_order_id text NOT NULL REFERENCES product_order(id),
  id               text NOT NULL,
  parent_item_id   text,
  offering_id      text NOT NULL,
  action           text NOT NULL,
  characteristics  jsonb NOT NULL,
  plan_hash        text REFERENCES plan(hash),
  state            text NOT NULL,
  updated_at       timestamptz NOT NULL,
  PRIMARY KEY (product_order_id, id)
);

-- Fulfillment aggregate: one saga per order item, pinned to the plan hash it started with.
CREATE TABLE saga (
  id                    text PRIMARY KEY,
  product_order_id      text NOT NULL REFERENCES product_order(id),
  product_order_item_id text NOT NULL,
  plan_hash             text NOT NULL REFERENCES plan(hash),
  correlation_id        text NOT NULL,
  state                 text NOT NULL,
  held_step_id          text,
  created_at            timestamptz NOT NULL,
  updated_at            timestamptz NOT NULL,
  UNIQUE (product_order_id, product_order_item_id)
);
CREATE INDEX saga_state ON saga (state, updated_at);

CREATE TABLE saga_step (
  saga_id         text NOT NULL REFERENCES saga(id),
  step_id         text NOT NULL,
  kind            text NOT NULL,
  owner           text NOT NULL,
  state           text NOT NULL,
  -- attempt: sends under the current idempotency key; deliveries: every command sent for the step.
  attempt         integer NOT NULL DEFAULT 0,
  deliveries      integer NOT NULL DEFAULT 0,
  resumes         integer NOT NULL DEFAULT 0,
  idempotency_key text,
  external_ref    text,
  outcome         text,
  evidence        jsonb,
  started_at      timestamptz,
  completed_at    timestamptz,
  updated_at      timestamptz NOT NULL,
  PRIMARY KEY (saga_id, step_id)
);

-- Technical aggregate (§6.4): uncertainty is a state, not a failure.
CREATE TABLE activation_command (
  id              text PRIMARY KEY,
  saga_id         text NOT NULL REFERENCES saga(id),
  step_id         text NOT NULL,
  target          text,
  idempotency_key text NOT NULL,
  state           text NOT NULL,
  attempts        integer NOT NULL,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  UNIQUE (idempotency_key)
);
CREATE INDEX activation_command_state ON activation_command (state, updated_at);
CREATE INDEX activation_command_saga ON activation_command (saga_id);

-- Resource aggregate (§6.3), its own lifecycle.
CREATE TABLE resource_reservation (
  id            text PRIMARY KEY,
  saga_id       text NOT NULL REFERENCES saga(id),
  step_id       text NOT NULL,
  resource_spec text,
  resource_id   text,
  state         text NOT NULL,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL
);
CREATE INDEX resource_reservation_saga ON resource_reservation (saga_id);

-- Fallout case: every field §21 lists, and the command that resumes the saga.
CREATE TABLE fallout_case (
  id                     text PRIMARY KEY,
  saga_id                text NOT NULL REFERENCES saga(id),
  failed_step_id         text NOT NULL,
  product_order_id       text NOT NULL,
  product_order_item_id  text NOT NULL,
  correlation_id         text NOT NULL,
  failure_reason         text NOT NULL,
  suggested_repair       text NOT NULL,
  safe_retry             jsonb NOT NULL,
  affected               jsonb NOT NULL,
  sla_impact             text NOT NULL,
  owner_group            text NOT NULL,
  party                  text NOT NULL,
  resume_command         jsonb NOT NULL,
  state                  text NOT NULL,
  created_at             timestamptz NOT NULL,
  resolved_at            timestamptz
);
CREATE INDEX fallout_case_state ON fallout_case (state, created_at);
CREATE INDEX fallout_case_saga ON fallout_case (saga_id);
CREATE INDEX fallout_case_order ON fallout_case (product_order_id);

-- Consumers deduplicate by message id (§15).
CREATE TABLE inbox (
  consumer    text NOT NULL,
  message_id  text NOT NULL,
  received_at timestamptz NOT NULL,
  PRIMARY KEY (consumer, message_id)
);

-- Publisher side (§15), with the §9 envelope. Relayed at least once, in order per ordering key.
CREATE TABLE outbox (
  seq                   bigserial PRIMARY KEY,
  message_id            text NOT NULL UNIQUE,
  kind                  text NOT NULL,
  type                  text NOT NULL,
  schema_version        integer NOT NULL,
  destination           text NOT NULL,
  ordering_key          text NOT NULL,
  correlation_id        text NOT NULL,
  causation_id          text,
  product_order_id      text NOT NULL,
  product_order_item_id text,
  saga_id               text,
  step_id               text,
  idempotency_key       text,
  payload               jsonb NOT NULL,
  created_at            timestamptz NOT NULL,
  published_at          timestamptz,
  lease_until           timestamptz,
  lease_owner           text
);
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
CREATE INDEX outbox_unpublished_key ON outbox (ordering_key, seq) WHERE published_at IS NULL;
CREATE INDEX outbox_order ON outbox (product_order_id, seq);

-- Timers: step timeouts, retry backoff, reconciliation.
CREATE TABLE timer (
  saga_id     text NOT NULL REFERENCES saga(id),
  step_id     text NOT NULL,
  kind        text NOT NULL,
  attempt     integer NOT NULL,
  due_at      timestamptz NOT NULL,
  lease_until timestamptz,
  lease_owner text,
  PRIMARY KEY (saga_id, step_id, kind)
);
CREATE INDEX timer_due ON timer (due_at);

-- Audit trail, the source of the read model (§32): every message in and out and every state change.
CREATE TABLE event_log (
  seq                   bigserial PRIMARY KEY,
  product_order_id      text NOT NULL,
  correlation_id        text NOT NULL,
  message_id            text NOT NULL,
  causation_id          text,
  direction             text NOT NULL,
  type                  text NOT NULL,
  saga_id               text,
  step_id               text,
  payload               jsonb NOT NULL,
  occurred_at           timestamptz NOT NULL
);
CREATE INDEX event_log_order ON event_log (product_order_id, seq);
