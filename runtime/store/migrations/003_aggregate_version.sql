-- Every transaction that changes what lies under a product order (items, sagas, steps, activation
-- commands, reservations, fallout cases) bumps the order's version while it holds the order's row
-- lock. A process may keep an order's aggregates in memory and reuse them for the next
-- transaction when the version it locks is the one it cached: no reload of unchanged rows.
ALTER TABLE product_order ADD COLUMN version integer NOT NULL DEFAULT 0;

-- Room on each page for updated row versions (heap-only updates: no new index entries): the
-- product order is updated by every transaction on it, saga steps and reservations several times
-- over their life, an outbox row once when published.
ALTER TABLE product_order SET (fillfactor = 50);
ALTER TABLE saga_step SET (fillfactor = 70);
ALTER TABLE resource_reservation SET (fillfactor = 70);
ALTER TABLE saga SET (fillfactor = 80);
ALTER TABLE product_order_item SET (fillfactor = 80);
