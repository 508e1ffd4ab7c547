-- The audit trail in fewer rows: a transaction writes one event_log row per product order it
-- touched. The row's own columns are its first entry (the message handled, as before); `entries`
-- holds the entries that follow it in the same transaction, in order, each as
-- {messageId, direction, type, payload} plus causationId, sagaId, stepId, correlationId and
-- occurredAt where they differ from the row's. Nothing is dropped: the view `audit_trail` gives
-- one row per entry again, ordered by (seq, pos).
ALTER TABLE event_log ADD COLUMN entries jsonb;

CREATE VIEW audit_trail AS
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
 WHERE e.entries IS NOT NULL;
