-- Timers are claimed with FOR UPDATE SKIP LOCKED by the transaction that handles them (a worker
-- that dies releases them at once): the lease columns were never used.
ALTER TABLE timer DROP COLUMN lease_until, DROP COLUMN lease_owner;
