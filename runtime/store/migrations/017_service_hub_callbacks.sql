-- o2a serve (#12): the TMF event hub's listeners and what each still has to receive, and the
-- receipts of component callbacks (idempotent on the caller's message id).

-- A listener registered through POST .../hub: its callback URL and optional query (TMF's
-- `eventType=...&event.productOrder.state=...`), applied when an event is fanned out.
CREATE TABLE hub_subscription (
  id         text PRIMARY KEY,
  callback   text NOT NULL,
  query      text,
  created_at timestamptz NOT NULL
);

-- A TMF622 event as it is delivered (eventId, eventTime, eventType, event: { productOrder }), one
-- row per event whatever the number of listeners; `event_id` makes the fan-out of a fact that the
-- relay publishes again a no-op.
CREATE TABLE hub_event (
  seq              bigserial PRIMARY KEY,
  event_id         text NOT NULL UNIQUE,
  product_order_id text NOT NULL,
  event_type       text NOT NULL,
  body             jsonb NOT NULL,
  created_at       timestamptz NOT NULL
);

-- What a listener has still to receive: one row per (listener, event), deleted once the listener
-- answered 2xx. Per listener and order, only the oldest row (the head) is ever sent, so a
-- listener gets an order's events in order; a failed attempt moves its `due_at` on (exponential
-- backoff). A process sending a row holds it by a lease (`FOR UPDATE SKIP LOCKED` claims), so any
-- number of processes share the work.
CREATE TABLE hub_delivery (
  subscription_id  text NOT NULL REFERENCES hub_subscription (id) ON DELETE CASCADE,
  event_seq        bigint NOT NULL REFERENCES hub_event (seq),
  product_order_id text NOT NULL,
  attempts         integer NOT NULL DEFAULT 0,
  due_at           timestamptz NOT NULL,
  lease_until      timestamptz,
  lease_owner      text,
  last_error       text,
  PRIMARY KEY (subscription_id, event_seq)
);
CREATE INDEX hub_delivery_group ON hub_delivery (subscription_id, product_order_id, event_seq);
CREATE INDEX hub_delivery_due ON hub_delivery (due_at);

-- A component callback handed to the engine: the answer it was given, so that the same callback
-- again (same message id) is answered the same and changes nothing. `body_hash` tells the same
-- callback from another one that reuses its message id (refused, 409).
CREATE TABLE callback_receipt (
  message_id       text PRIMARY KEY,
  kind             text NOT NULL,
  product_order_id text NOT NULL,
  body_hash        text NOT NULL,
  status           integer NOT NULL,
  response         jsonb NOT NULL,
  received_at      timestamptz NOT NULL
);
