-- Cancellation (§18): TMF622's cancel request with its own id and states, the compensation a saga
-- is under (which request, which rule, the approval it waits for), and approvals awaiting a decision.

CREATE TABLE cancel_request (
  id                    text PRIMARY KEY,
  product_order_id      text NOT NULL REFERENCES product_order(id),
  -- null: the whole order; else one item (a bundle item: its children with it).
  product_order_item_id text,
  reason                text,
  requested_by          text,
  -- acknowledged, inProgress, done, terminatedWithError (TMF622 CancelProductOrder states).
  state                 text NOT NULL,
  -- Why it was refused (the plan's text), or how it ended.
  message               text,
  -- What the plan's cancel rules decided for each saga in scope: saga, item, rule, action.
  decisions             jsonb NOT NULL,
  created_at            timestamptz NOT NULL,
  updated_at            timestamptz NOT NULL
);
CREATE INDEX cancel_request_order ON cancel_request (product_order_id, created_at);

-- A decision somebody must take before the saga goes on (compensation that requires approval).
CREATE TABLE approval (
  id                text PRIMARY KEY,
  product_order_id  text NOT NULL REFERENCES product_order(id),
  saga_id           text NOT NULL REFERENCES saga(id),
  cancel_request_id text NOT NULL REFERENCES cancel_request(id),
  subject           text NOT NULL,
  -- PENDING, APPROVED, REFUSED
  state             text NOT NULL,
  decided_by        text,
  decided_at        timestamptz,
  note              text,
  created_at        timestamptz NOT NULL
);
CREATE INDEX approval_state ON approval (state, created_at);
CREATE INDEX approval_order ON approval (product_order_id);

-- The compensation a saga is under: {cancelRequestId, rule, action, approval: {id, state, by, at}}.
ALTER TABLE saga ADD COLUMN compensation jsonb;
-- Compensating commands sent for a step (its retries count against the step's retry policy).
ALTER TABLE saga_step ADD COLUMN compensations integer NOT NULL DEFAULT 0;
