-- Why a product order was rejected at intake: its reasons (a JSON array of strings, each
-- `field: message`, e.g. `productOrderItem.0.productOffering.id: no fulfillment plan for offering X`),
-- written with the order's row by the intake that rejects it; NULL for every order not rejected
-- at intake. The intake reads them back in its duplicate check to answer a resubmission of the
-- same order (`rejected-before`), and the read side reads them without going to the outbox.
ALTER TABLE product_order ADD COLUMN rejection_reasons jsonb;

-- Orders rejected before this migration: the reasons their ProductOrderRejected event carried,
-- where the outbox still has it (found per order through outbox_order). Where it has not, the
-- column stays NULL and the intake says the reasons were not recorded.
UPDATE product_order p
   SET rejection_reasons = r.reasons
  FROM (SELECT p2.id, (SELECT o.payload->'reasons' FROM outbox o
                         WHERE o.product_order_id = p2.id AND o.type = 'ProductOrderRejected'
                         ORDER BY o.seq DESC LIMIT 1) AS reasons
          FROM product_order p2 WHERE p2.state = 'rejected') r
 WHERE p.id = r.id AND jsonb_typeof(r.reasons) = 'array';
