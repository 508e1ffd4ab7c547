-- §9: the ids a message carries besides its order, item, saga and step (service order, service
-- order item, resource reservation, activation command, work order, appointment, customer), in one
-- jsonb column (one column on the hot insert rather than seven; null when the message has none;
-- runtime/engine/envelope-refs.ts says what each is). Messages written before carry none.
ALTER TABLE outbox ADD COLUMN refs jsonb;

-- The audit trail shows a sent message's refs with its destination and idempotency key (the
-- compact entries of migration 007 take them from the outbox row; a row's own first entry has
-- them in its payload, as written).
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
       CASE WHEN x.sent AND m.refs IS NOT NULL
              THEN jsonb_build_object('destination', m.destination, 'idempotencyKey', m.idempotency_key, 'refs', m.refs)
            WHEN x.sent THEN jsonb_build_object('destination', m.destination, 'idempotencyKey', m.idempotency_key)
            ELSE (x.entry->'payload')::jsonb END,
       CASE WHEN x.entry->'at' IS NULL THEN e.occurred_at ELSE (x.entry->>'at')::timestamptz END
  FROM event_log e
  CROSS JOIN LATERAL json_array_elements(e.more) WITH ORDINALITY AS x0(entry, pos)
  CROSS JOIN LATERAL (SELECT x0.entry, x0.pos, coalesce(x0.entry->>'dir', 'state') AS dir,
                             x0.entry->>'dir' = 'out' AND x0.entry->'type' IS NULL AS sent) x
  LEFT JOIN outbox m ON x.sent AND m.message_id = x.entry->>'id'
 WHERE e.more IS NOT NULL;
