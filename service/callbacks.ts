// Component callbacks over HTTP: what a real workforce, appointment or activation system (or a
// channel, or charging) reports back. Each callback is translated into the envelope the component
// would have put on the bus (the reply to the step's current command: same correlation, caused by
// the command, the step's idempotency key) and handed to the engine's inbox, or, for customer
// acceptance and first usage, to `engine.signal`. Nothing here writes the aggregates.
//
//   POST /o2a/v1/callbacks/work-orders          status completed (with the plan's evidence) | failed
//   POST /o2a/v1/callbacks/appointments         status confirmed (with the slot) | failed
//   POST /o2a/v1/callbacks/activations          status succeeded | failed
//   POST /o2a/v1/callbacks/customer-acceptance  the customer accepted the service (billing trigger)
//   POST /o2a/v1/callbacks/first-usage          charging saw the first usage (billing trigger)
//
// Every callback carries the caller's `messageId`: the same callback again changes nothing and is
// answered as the first was (a receipt in the database, migration 017); the same id with another
// body is refused (409). A callback for an unknown order or step, or for a step that waits for no
// answer (finished, not started, held), is refused with the reason, and nothing is written.
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyPluginAsync, FastifyReply, FastifySchemaCompiler } from 'fastify';
import { canonicalJson, sha256Hex } from '../compiler/hash.js';
import { envelopeOfRow, replyTo, type Envelope, type StepCommandPayload, type StepReplyPayload } from '../runtime/engine/messages.js';
import type { Runtime } from '../runtime/runtime.js';
import { iso, parseJson } from '../runtime/store/sql.js';
import type { ServiceContext } from './context.js';
import { tmfError } from './errors.js';

export const CALLBACKS_BASE = '/o2a/v1/callbacks';

/** A step callback route: the catalog's step kind it answers for, and its two statuses (success, failure). */
interface StepRoute { path: string; kind: string; succeeded: string; failed: string; what: string }

export const STEP_CALLBACKS: readonly StepRoute[] = [
  { path: 'work-orders', kind: 'work_order', succeeded: 'completed', failed: 'failed', what: 'work order' },
  { path: 'appointments', kind: 'appointment', succeeded: 'confirmed', failed: 'failed', what: 'appointment' },
  { path: 'activations', kind: 'activation', succeeded: 'succeeded', failed: 'failed', what: 'activation' },
];

export const SIGNAL_CALLBACKS = [
  { path: 'customer-acceptance', signal: 'customer-accepted' },
  { path: 'first-usage', signal: 'first-usage' },
] as const;

/** Steps in these states wait for their owner's answer (the engine takes it then). */
const ANSWERABLE = new Set(['STARTED', 'UNKNOWN']);
const WHY_NOT: Record<string, string> = {
  NOT_STARTED: 'has not started: no command was sent yet',
  SUCCEEDED: 'has succeeded: it waits for no answer',
  FAILED: 'has failed: it waits for no answer (resume its fallout case to run it again)',
  SKIPPED: 'was skipped',
  WAITING: 'waits for a retry or for a party (held): it waits for no answer now',
  COMPENSATED: 'was undone',
  COMPENSATING: 'is being undone',
};

/**
 * The bodies are checked by an ajv of their own, whatever the server's: unknown fields refused
 * (never silently dropped), no coercion, the first problem named.
 */
const ajv = new Ajv({ removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false, strict: false });
(addFormats as unknown as (a: Ajv) => void)(ajv);
const validatorCompiler: FastifySchemaCompiler<Record<string, unknown>> = ({ schema }) => ajv.compile(schema);

const idString = { type: 'string', minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$' } as const;
const text = { type: 'string', maxLength: 2000 } as const;

function stepBodySchema(route: StepRoute): Record<string, unknown> {
  return {
    type: 'object', additionalProperties: false, required: ['messageId', 'productOrderId', 'status'],
    properties: {
      messageId: idString, productOrderId: idString, itemId: idString, stepId: idString,
      /** The message id of the command being answered, when the component kept it. */
      commandId: idString,
      status: { type: 'string', enum: [route.succeeded, route.failed] },
      /** The failure outcome the plan may act on (`no_access`, `no_slot`, `rejected`, ...). */
      outcome: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[a-z][a-z0-9_]*$' },
      reason: text,
      externalRef: { type: 'string', minLength: 1, maxLength: 200 },
      evidence: { type: 'object', maxProperties: 50, additionalProperties: { type: 'string', minLength: 1, maxLength: 2000 } },
      ...(route.kind === 'appointment' ? {
        slot: {
          type: 'object', additionalProperties: false, required: ['start'],
          properties: { start: { type: 'string', format: 'date-time' }, end: { type: 'string', format: 'date-time' } },
        },
      } : {}),
    },
  };
}

const signalBodySchema = {
  type: 'object', additionalProperties: false, required: ['messageId', 'productOrderId'],
  properties: { messageId: idString, productOrderId: idString, itemId: idString },
};

interface StepCallback {
  messageId: string; productOrderId: string; itemId?: string; stepId?: string; commandId?: string;
  status: string; outcome?: string; reason?: string; externalRef?: string; evidence?: Record<string, string>;
  slot?: { start: string; end?: string };
}

interface Answer { status: number; body: Record<string, unknown> }

function refusal(status: number, field: string | null, message: string): Answer {
  return { status, body: { ...tmfError(status, message, [{ field, message }]) } };
}

export class ComponentCallbacks {
  constructor(private readonly runtime: Runtime) {}

  /** A step's answer from its owner. */
  async step(route: StepRoute, input: StepCallback): Promise<Answer> {
    return this.once(route.path, input, () => this.handOver(route, input));
  }

  /** A billing trigger's signal (customer acceptance, first usage). */
  async signal(path: string, signal: string, input: { messageId: string; productOrderId: string; itemId?: string }): Promise<Answer> {
    return this.once(path, input, async () => {
      const result = await this.runtime.engine.signal({ productOrderId: input.productOrderId, itemId: input.itemId, signal });
      if (!result.ok) {
        const field = result.field === 'item' ? 'itemId' : result.field;
        return { answer: refusal(result.code === 'not-found' ? 404 : 400, field, result.problem.replace(/^item:/, 'itemId:')), handed: false };
      }
      if (result.sagas.length === 0) {
        return { answer: refusal(409, 'productOrderId', `productOrderId: order ${input.productOrderId} has no fulfillment under way to take ${signal}`), handed: false };
      }
      return {
        answer: { status: 200, body: { messageId: input.messageId, productOrderId: input.productOrderId, signal, sagas: result.sagas } },
        handed: true,
      };
    });
  }

  /**
   * Answers a callback once: the receipt of its message id when there is one (the same body: the
   * same answer; another body: 409), else `work` and, when it reached the engine, its receipt.
   */
  private async once(kind: string, input: { messageId: string; productOrderId: string }, work: () => Promise<{ answer: Answer; handed: boolean }>): Promise<Answer> {
    const hash = sha256Hex(canonicalJson({ kind, input }));
    const prior = await this.receipt(input.messageId);
    if (prior) return prior.hash === hash ? prior.answer : refusal(409, 'messageId', `messageId: ${input.messageId} was used by another callback`);
    const { answer, handed } = await work();
    if (!handed) return answer;
    // Two identical callbacks at once: the first receipt written is the answer of both.
    const [written] = await this.runtime.store.query<{ message_id: string }>(
      `INSERT INTO callback_receipt (message_id, kind, product_order_id, body_hash, status, response, received_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (message_id) DO NOTHING RETURNING message_id`,
      [input.messageId, kind, input.productOrderId, hash, answer.status, JSON.stringify(answer.body), new Date().toISOString()]);
    if (written) return answer;
    const stored = await this.receipt(input.messageId);
    return stored && stored.hash === hash ? stored.answer : refusal(409, 'messageId', `messageId: ${input.messageId} was used by another callback`);
  }

  private async receipt(messageId: string): Promise<{ hash: string; answer: Answer } | null> {
    const [row] = await this.runtime.store.query<{ body_hash: string; status: number; response: unknown }>(
      'SELECT body_hash, status, response FROM callback_receipt WHERE message_id = $1', [messageId]);
    return row ? { hash: row.body_hash, answer: { status: Number(row.status), body: parseJson(row.response) as Record<string, unknown> } } : null;
  }

  /** Finds the step and its current command, builds the owner's reply and hands it to the engine. */
  private async handOver(route: StepRoute, input: StepCallback): Promise<{ answer: Answer; handed: boolean }> {
    const store = this.runtime.store;
    const envelopeId = `callback:${input.messageId}`;
    // Taken by the engine before, its receipt lost (the process died in between): answered from what the engine did.
    const [taken] = await store.query('SELECT 1 FROM inbox WHERE consumer = $1 AND message_id = $2', ['engine', envelopeId]);
    const no = (status: number, field: string | null, message: string) => ({ answer: refusal(status, field, message), handed: false });

    const [order] = await store.query<{ id: string }>('SELECT id FROM product_order WHERE id = $1', [input.productOrderId]);
    if (!order) return no(404, 'productOrderId', `productOrderId: no product order ${input.productOrderId}`);
    const steps = await store.query<{ saga_id: string; item_id: string; step_id: string; kind: string; state: string; idempotency_key: string | null; held: boolean }>(
      `SELECT st.saga_id, s.product_order_item_id AS item_id, st.step_id, st.kind, st.state, st.idempotency_key,
              (s.held_step_id IS NOT DISTINCT FROM st.step_id) AS held
         FROM saga s JOIN saga_step st ON st.saga_id = s.id
        WHERE s.product_order_id = $1 AND st.kind = $2 ORDER BY s.product_order_item_id, st.step_id`, [input.productOrderId, route.kind]);
    let candidates = steps;
    if (input.itemId !== undefined) {
      candidates = candidates.filter((s) => s.item_id === input.itemId);
      if (candidates.length === 0) return no(404, 'itemId', `itemId: order ${input.productOrderId} has no item ${input.itemId} with a ${route.what} step`);
    }
    if (input.stepId !== undefined) {
      candidates = candidates.filter((s) => s.step_id === input.stepId);
      if (candidates.length === 0) {
        const known = [...new Set(steps.map((s) => s.step_id))];
        return no(404, 'stepId', `stepId: order ${input.productOrderId} has no ${route.what} step ${input.stepId}${known.length ? ` (its ${route.what} steps: ${known.join(', ')})` : ''}`);
      }
    }
    if (candidates.length === 0) return no(404, 'productOrderId', `productOrderId: order ${input.productOrderId} has no ${route.what} step`);
    if (candidates.length > 1) {
      // Several: the one waiting for an answer, if only one does.
      const live = candidates.filter((s) => ANSWERABLE.has(s.state));
      if (live.length !== 1) {
        return no(400, 'stepId', `stepId: order ${input.productOrderId} has ${candidates.length} ${route.what} steps (${candidates.map((s) => `item ${s.item_id} step ${s.step_id}`).join(', ')}); name the itemId and stepId`);
      }
      candidates = live;
    }
    const step = candidates[0] as (typeof steps)[number];
    const where = `step ${step.step_id} of item ${step.item_id}`;
    if (taken) return { answer: await this.outcome(input, envelopeId, step.saga_id, step.step_id, step.item_id), handed: true };
    if (!ANSWERABLE.has(step.state)) {
      // A confirmed appointment that moves is a change of the order: an amendment, through the order's API.
      const hint = route.kind === 'appointment' && step.state === 'SUCCEEDED'
        ? `; to move a confirmed appointment, amend the order (PATCH /tmf-api/productOrderingManagement/v4/productOrder/${input.productOrderId})` : '';
      return no(409, 'stepId', `stepId: ${where} is ${step.state} and ${WHY_NOT[step.state] ?? 'waits for no answer'}${hint}`);
    }

    // The command the step's owner was sent last under the step's current key: the one answered.
    const commands = await store.query<Record<string, unknown>>(
      `SELECT * FROM outbox WHERE product_order_id = $1 AND saga_id = $2 AND step_id = $3 AND kind = 'command'
          AND type NOT IN ('ReadTargetState', 'CompensateStep') ORDER BY seq DESC LIMIT 20`,
      [input.productOrderId, step.saga_id, step.step_id]);
    const current = commands.find((c) => c.idempotency_key === step.idempotency_key);
    if (!current) return no(409, 'stepId', `stepId: ${where} has no command waiting for an answer`);
    if (input.commandId !== undefined && input.commandId !== current.message_id) {
      return no(409, 'commandId', commands.some((c) => c.message_id === input.commandId)
        ? `commandId: ${input.commandId} is an earlier command of ${where}; it waits for the answer to ${String(current.message_id)}`
        : `commandId: ${input.commandId} is no command of ${where}`);
    }
    const command = envelopeOfRow(current);
    const payload = command.payload as StepCommandPayload;
    const success = input.status === route.succeeded;
    if (success) {
      const missing = (payload.evidence ?? []).filter((name) => !input.evidence?.[name]);
      if (missing.length > 0) {
        return no(422, 'evidence', `evidence: ${where} needs ${payload.evidence.join(', ')} as completion evidence; missing ${missing.join(', ')}`);
      }
    }
    const reply: StepReplyPayload = { attempt: payload.attempt };
    if (input.externalRef !== undefined) reply.externalRef = input.externalRef;
    if (input.evidence !== undefined) reply.evidence = input.evidence;
    if (input.slot !== undefined) reply.slot = input.slot;
    if (!success) {
      reply.outcome = input.outcome ?? 'rejected';
      reply.reason = input.reason ?? reply.outcome;
    } else if (input.reason !== undefined) {
      reply.note = input.reason;
    }
    const envelope = replyTo(command, {
      type: success ? payload.answers.succeeded : payload.answers.failed, messageId: envelopeId, payload: { ...reply, via: 'callback' },
    }, this.runtime.clock.now());
    await this.runtime.engine.handle([envelope]);
    return { answer: await this.outcome(input, envelopeId, step.saga_id, step.step_id, step.item_id), handed: true };
  }

  /** What the engine did with a callback it took: refused (with its reason), or the step as it left it. */
  private async outcome(input: StepCallback, envelopeId: string, sagaId: string, stepId: string, itemId: string): Promise<Answer> {
    const [refused] = await this.runtime.store.query<{ payload: unknown }>(
      `SELECT payload FROM audit_trail WHERE product_order_id = $1 AND type = 'MessageRefused' AND causation_id = $2 LIMIT 1`,
      [input.productOrderId, envelopeId]);
    if (refused) {
      const why = (parseJson(refused.payload) as { reason?: string } | null)?.reason ?? 'refused';
      return refusal(409, 'stepId', `stepId: step ${stepId} of item ${itemId}: ${why}`);
    }
    const [step] = await this.runtime.store.query<{ state: string; outcome: string | null; completed_at: unknown }>(
      'SELECT state, outcome, completed_at FROM saga_step WHERE saga_id = $1 AND step_id = $2', [sagaId, stepId]);
    return {
      status: 200,
      body: {
        messageId: input.messageId, productOrderId: input.productOrderId, itemId, stepId, accepted: true,
        step: { state: step?.state ?? null, outcome: step?.outcome ?? null, completedAt: iso(step?.completed_at) },
      },
    };
  }
}


function send(reply: FastifyReply, answer: Answer): FastifyReply {
  return reply.code(answer.status).type('application/json; charset=utf-8').send(answer.body);
}

/**
 * The component callback routes (all guarded): see the top of this file. Options: the service context.
 */
export const callbacksPlugin: FastifyPluginAsync<ServiceContext> = async (app, options) => {
  const callbacks = new ComponentCallbacks(options.runtime);
  const validation = (reply: FastifyReply, error: { validationContext?: string; message: string; validation?: { instancePath?: string; params?: Record<string, unknown> }[] }) => {
    const first = error.validation?.[0];
    const path = first?.instancePath ? first.instancePath.slice(1).replace(/\//g, '.') : null;
    const extra = first?.params?.additionalProperty;
    const field = typeof extra === 'string' ? (path ? `${path}.${extra}` : extra) : typeof first?.params?.missingProperty === 'string'
      ? (path ? `${path}.${String(first.params.missingProperty)}` : String(first.params.missingProperty)) : path;
    const message = typeof extra === 'string' ? `${field}: unknown field` : `${field ?? 'body'}: ${error.message.replace(/^body\/?[\w/]* /, '')}`;
    return send(reply, refusal(400, field, message));
  };

  for (const route of STEP_CALLBACKS) {
    app.post(`${CALLBACKS_BASE}/${route.path}`, {
      preHandler: options.guard, bodyLimit: 64 * 1024, schema: { body: stepBodySchema(route) }, validatorCompiler, attachValidation: true,
    }, async (request, reply) => {
      if (request.validationError) return validation(reply, request.validationError);
      return send(reply, await callbacks.step(route, request.body as StepCallback));
    });
  }
  for (const { path, signal } of SIGNAL_CALLBACKS) {
    app.post(`${CALLBACKS_BASE}/${path}`, {
      preHandler: options.guard, bodyLimit: 16 * 1024, schema: { body: signalBodySchema }, validatorCompiler, attachValidation: true,
    }, async (request, reply) => {
      if (request.validationError) return validation(reply, request.validationError);
      return send(reply, await callbacks.signal(path, signal, request.body as { messageId: string; productOrderId: string; itemId?: string }));
    });
  }
};
