-- The outbox in two tables. `outbox` keeps every message with its §9 envelope, written once and
-- never updated. `outbox_pending` lists the messages not yet published, one narrow row each, with
-- the lease of the relay that holds it: the relay's claims and leases work on this small table
-- only, and publishing a message deletes its pending row (a message is published when it has
-- none). Before, publishing rewrote the whole outbox row and its index entries.
CREATE TABLE outbox_pending (
  seq          bigint PRIMARY KEY,   -- outbox.seq (written in the same statement; no foreign key check)
  ordering_key text NOT NULL,
  lease_until  timestamptz,
  lease_owner  text
);
CREATE INDEX outbox_pending_key ON outbox_pending (ordering_key, seq);

INSERT INTO outbox_pending (seq, ordering_key, lease_until, lease_owner)
SELECT seq, ordering_key, lease_until, lease_owner FROM outbox WHERE published_at IS NULL;

DROP INDEX outbox_unpublished;
DROP INDEX outbox_unpublished_key;
ALTER TABLE outbox DROP COLUMN published_at, DROP COLUMN lease_until, DROP COLUMN lease_owner;
