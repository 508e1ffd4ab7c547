-- Amendment (§19): a change to an in-flight order item, allowed or refused by the plan's `amend`
-- rules. The request names the item, the change kind (an amend rule of its plan) and the delta
-- ({characteristic: {old, new}}); an allowed one replans the rule's steps, and its lineage says
-- which step ran again, from which attempt and idempotency key, under which new key.

CREATE TABLE amendment_request (
  id                    text PRIMARY KEY,
  product_order_id      text NOT NULL REFERENCES product_order(id),
  product_order_item_id text NOT NULL,
  -- The plan's amend rule that applies (`appointment`, `speed`).
  change_kind           text NOT NULL,
  delta                 jsonb NOT NULL,
  requested_by          text,
  -- acknowledged, inProgress (earlier attempts being undone), done, rejected.
  state                 text NOT NULL,
  message               text,
  -- [{stepId, fromAttempt, fromKey, toKey}]
  lineage               jsonb NOT NULL DEFAULT '[]'::jsonb,
  created_at            timestamptz NOT NULL,
  updated_at            timestamptz NOT NULL
);
CREATE INDEX amendment_request_order ON amendment_request (product_order_id, created_at);

-- The amendment a saga is under, or last had: {requestId, change, phase: replanning|replanned,
-- replan: [stepId], delta, steps: {stepId: generation}} (the steps whose commands carry the delta).
ALTER TABLE saga ADD COLUMN amendment jsonb;
