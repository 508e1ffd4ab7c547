-- The simulated components' state, in the database (before: in the memory of the process that
-- happened to consume the command, lost with it). Each component commits what it did with a
-- command in the same transaction as its inbox entry, so that a command delivered again (its
-- relay died before marking it published, or the engine could not take the answer) is answered
-- again from what was recorded, and never applied twice.

-- What a component did per idempotency key: whether the side effect happened, and the answer it
-- gave (null: none, as for a scripted timeout). One row per (owner, key), written once.
CREATE TABLE component_ledger (
  owner            text NOT NULL,
  idempotency_key  text NOT NULL,
  command_type     text NOT NULL,
  message_id       text NOT NULL,
  product_order_id text NOT NULL,
  saga_id          text,
  step_id          text,
  applied          boolean NOT NULL,
  reply_type       text,
  reply            jsonb,
  recorded_at      timestamptz NOT NULL,
  PRIMARY KEY (owner, idempotency_key)
);
CREATE INDEX component_ledger_order ON component_ledger (product_order_id);

-- The resource inventory's pools: units issued so far per resource specification, and each unit
-- with its §6.3 state and the idempotency key of the reservation holding it.
CREATE TABLE component_pool (
  spec   text PRIMARY KEY,
  issued bigint NOT NULL
);
CREATE TABLE component_resource_unit (
  id         text PRIMARY KEY,
  spec       text NOT NULL,
  state      text NOT NULL,
  held_by    text,
  updated_at timestamptz NOT NULL
);
CREATE INDEX component_resource_unit_free ON component_resource_unit (spec) WHERE state = 'AVAILABLE';

-- The activation gateway's network, readable (reconciliation reads it back).
CREATE TABLE component_network (
  idempotency_key text PRIMARY KEY,
  owner           text NOT NULL,
  target          text,
  state           text NOT NULL,
  configured_at   timestamptz NOT NULL
);

-- Answers a component gives later (a scripted delay): sent when due, by any live process, and
-- deleted once the engine has taken them. A sender leases a row by moving its due time on.
CREATE TABLE component_reply (
  message_id         text PRIMARY KEY,
  owner              text NOT NULL,
  command_message_id text NOT NULL,
  due_at             timestamptz NOT NULL,
  envelope           jsonb NOT NULL
);
CREATE INDEX component_reply_due ON component_reply (due_at);
CREATE INDEX component_reply_command ON component_reply (command_message_id);
