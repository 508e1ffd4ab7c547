// The message envelope of §9: every command and event carries its correlation and causation, the
// order/item/saga/step it concerns, and (commands) an idempotency key.
import { randomUUID } from 'node:crypto';
import { iso, parseJson } from '../store/sql.js';

export const MESSAGE_SCHEMA_VERSION = 1;
/** The fulfillment orchestrator's inbox. */
export const ENGINE = 'engine';
/** Public facts for any listener (read views, event hub). */
export const EVENTS = 'events';

/** Commands the runtime itself defines (reconciliation), besides the catalog's step commands. */
export const READ_TARGET_STATE = 'ReadTargetState';
export const TARGET_STATE_READ = 'TargetStateRead';

export interface Envelope {
  messageId: string;
  kind: 'command' | 'event';
  type: string;
  schemaVersion: number;
  destination: string;
  /** Messages with the same key are relayed in order (the saga id, or the order id before a saga exists). */
  orderingKey: string;
  correlationId: string;
  causationId: string | null;
  productOrderId: string;
  productOrderItemId: string | null;
  sagaId: string | null;
  stepId: string | null;
  idempotencyKey: string | null;
  /**
   * The other ids of §9 that exist for this message (runtime/engine/envelope-refs.ts says what
   * each is); absent when none does. Written by the runtime, kept with the outbox row.
   */
  refs?: EnvelopeRefs;
  payload: Record<string, unknown>;
  createdAt: string;
}

/** §9's ids besides the order, item, saga and step (each present only where it exists). */
export interface EnvelopeRefs {
  serviceOrderId?: string;
  serviceOrderItemId?: string;
  resourceReservationId?: string;
  activationCommandId?: string;
  workOrderId?: string;
  appointmentId?: string;
  customerId?: string;
  accountId?: string;
}

export const ENVELOPE_REF_NAMES = [
  'serviceOrderId', 'serviceOrderItemId', 'resourceReservationId', 'activationCommandId', 'workOrderId', 'appointmentId', 'customerId', 'accountId',
] as const satisfies readonly (keyof EnvelopeRefs)[];

/** The refs of a stored row (the outbox's jsonb `refs`): only the known names with text values; undefined when none. */
export function refsOfStored(value: unknown): EnvelopeRefs | undefined {
  let parsed = value;
  if (typeof parsed === 'string') { try { parsed = JSON.parse(parsed); } catch { return undefined; } }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const refs: EnvelopeRefs = {};
  for (const name of ENVELOPE_REF_NAMES) {
    const v = (parsed as Record<string, unknown>)[name];
    if (typeof v === 'string' && v !== '') refs[name] = v;
  }
  return Object.keys(refs).length > 0 ? refs : undefined;
}

/** An outbox row (as read, or as `row_to_json` gives it) as the envelope it was written from, its §9 refs included. */
export function envelopeOfRow(row: Record<string, unknown>): Envelope {
  const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
  const refs = refsOfStored(row.refs);
  return {
    messageId: String(row.message_id), kind: row.kind as Envelope['kind'], type: String(row.type), schemaVersion: Number(row.schema_version),
    destination: String(row.destination), orderingKey: String(row.ordering_key), correlationId: String(row.correlation_id),
    causationId: text(row.causation_id), productOrderId: String(row.product_order_id), productOrderItemId: text(row.product_order_item_id),
    sagaId: text(row.saga_id), stepId: text(row.step_id), idempotencyKey: text(row.idempotency_key),
    ...(refs ? { refs } : {}),
    payload: (parseJson(row.payload) ?? {}) as Record<string, unknown>, createdAt: iso(row.created_at) as string,
  };
}

export interface StepCommandPayload {
  stepId: string;
  kind: string;
  ref: { type: string; id: string } | null;
  attempt: number;
  /** How many commands were sent for this step before this one (retries and resumes). */
  delivery: number;
  /** The TMF622 action of the order item the step fulfils: add, modify or delete. */
  action: string;
  evidence: string[];
  characteristics: Record<string, unknown>;
  /** The events the owner answers with (from the catalog's step kind). */
  answers: { succeeded: string; failed: string };
  [key: string]: unknown;
}

/** What a component reports back about a step. */
export interface StepReplyPayload {
  attempt?: number;
  outcome?: string;
  reason?: string;
  externalRef?: string;
  evidence?: Record<string, string>;
  resourceId?: string;
  present?: boolean;
  [key: string]: unknown;
}

export function newMessageId(): string {
  return randomUUID();
}

type Reply = Pick<Envelope, 'type' | 'payload'> & Partial<Pick<Envelope, 'messageId'>>;

/** A component's answer to a command: same correlation, caused by the command, sent to the engine. */
export function replyTo(command: Envelope, reply: Reply, at: Date): Envelope {
  return {
    messageId: reply.messageId ?? newMessageId(),
    kind: 'event',
    type: reply.type,
    schemaVersion: MESSAGE_SCHEMA_VERSION,
    destination: ENGINE,
    orderingKey: command.orderingKey,
    correlationId: command.correlationId,
    causationId: command.messageId,
    productOrderId: command.productOrderId,
    productOrderItemId: command.productOrderItemId,
    sagaId: command.sagaId,
    stepId: command.stepId,
    idempotencyKey: command.idempotencyKey,
    ...(command.refs ? { refs: command.refs } : {}),
    payload: reply.payload,
    createdAt: at.toISOString(),
  };
}
