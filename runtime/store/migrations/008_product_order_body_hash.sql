-- What a product order's body says, as a hash: the sha256 of the canonical JSON of the order as
-- the intake accepted it, without the fields the server assigns (runtime/engine/orders.ts,
-- `orderBodyHash`). A resubmission under a known id with the same hash is a duplicate; with
-- another hash it is a conflict and is refused. Orders taken before this migration have none
-- (NULL): a resubmission of one of them is answered as a duplicate, as it was before.
ALTER TABLE product_order ADD COLUMN body_hash text;
