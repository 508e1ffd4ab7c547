-- Audit entries after a row's first one, written from now on in `more` (json: kept as written,
-- not re-encoded) in a compact form; rows written with `entries` (migration 004) read as before.
-- An entry of `more` is {id, dir, type, payload, cause, saga, step, corr, at} where
--   dir     is 'in' or 'out', absent for a state change;
--   cause   absent: caused by the row's own message (message_id); present (maybe null) otherwise;
--   saga, step, corr, at: absent when the same as the row's;
--   a message the same transaction wrote to the outbox is only {id, dir: 'out'}: the outbox row
--   with that message id (the outbox keeps every message, never updated) gives its type,
--   causation, correlation, saga, step, and the entry's payload {destination, idempotencyKey}.
-- The view audit_trail still lists every entry as a row of its own, ordered by (seq, pos).
ALTER TABLE event_log ADD COLUMN more json;

CREATE OR REPLACE VIEW audit_trail AS
SELECT e.seq, 0::bigint AS pos, e.product_order_id, e.correlation_id, e.message_id, e.causation_id, e.direction, e.type,
       e.saga_id, e.step_id, e.payload, e.occurred_at
  FROM event_log e
UNION ALL
SELECT e.seq, x.pos, e.product_order_id,
       CASE WHEN x.entry ? 'correlationId' THEN x.entry->>'correlationId' ELSE e.correlation_id END,
       x.entry->>'messageId',
       CASE WHEN x.entry ? 'causationId' THEN x.entry->>'causationId' ELSE e.causation_id END,
       x.entry->>'direction', x.entry->>'type',
       CASE WHEN x.entry ? 'sagaId' THEN x.entry->>'sagaId' ELSE e.saga_id END,
       CASE WHEN x.entry ? 'stepId' THEN x.entry->>'stepId' ELSE e.step_id END,
       x.entry->'payload',
       CASE WHEN x.entry ? 'occurredAt' THEN (x.entry->>'occurredAt')::timestamptz ELSE e.occurred_at END
  FROM event_log e CROSS JOIN LATERAL jsonb_array_elements(e.entries) WITH ORDINALITY AS x(entry, pos)
 WHERE e.entries IS NOT NULL
UNION ALL
SELECT e.seq, x.pos, e.product_order_id,
       CASE WHEN x.sent THEN m.correlation_id WHEN x.entry->'corr' IS NULL THEN e.correlation_id ELSE x.entry->>'corr' END,
       x.entry->>'id',
       CASE WHEN x.sent THEN m.causation_id WHEN x.entry->'cause' IS NULL THEN e.message_id ELSE x.entry->>'cause' END,
       x.dir,
       CASE WHEN x.sent THEN m.type ELSE x.entry->>'type' END,
       CASE WHEN x.sent THEN m.saga_id WHEN x.entry->'saga' IS NULL THEN e.saga_id ELSE x.entry->>'saga' END,
       CASE WHEN x.sent THEN m.step_id WHEN x.entry->'step' IS NULL THEN e.step_id ELSE x.entry->>'step' END,
       CASE WHEN x.sent THEN jsonb_build_object('destination', m.destination, 'idempotencyKey', m.idempotency_key)
            ELSE (x.entry->'payload')::jsonb END,
       CASE WHEN x.entry->'at' IS NULL THEN e.occurred_at ELSE (x.entry->>'at')::timestamptz END
  FROM event_log e
  CROSS JOIN LATERAL json_array_elements(e.more) WITH ORDINALITY AS x0(entry, pos)
  CROSS JOIN LATERAL (SELECT x0.entry, x0.pos, coalesce(x0.entry->>'dir', 'state') AS dir,
                             x0.entry->>'dir' = 'out' AND x0.entry->'type' IS NULL AS sent) x
  LEFT JOIN outbox m ON x.sent AND m.message_id = x.entry->>'id'
 WHERE e.more IS NOT NULL;
