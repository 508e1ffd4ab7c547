// The state machines of the runtime's aggregates with strict transition guards: an illegal
// transition is refused (a `TransitionRefused` result), never applied.

export const PRODUCT_ORDER_STATES = [
  'acknowledged', 'rejected', 'inProgress', 'held', 'pending', 'partial', 'completed', 'failed',
  'cancelled', 'assessingCancellation', 'pendingCancellation',
] as const;
export type ProductOrderState = (typeof PRODUCT_ORDER_STATES)[number];

export const PRODUCT_ORDER_ITEM_STATES = [
  'acknowledged', 'rejected', 'pending', 'held', 'inProgress', 'cancelled', 'completed', 'failed',
  'assessingCancellation', 'pendingCancellation',
] as const;
export type ProductOrderItemState = (typeof PRODUCT_ORDER_ITEM_STATES)[number];

export const SAGA_STEP_STATES = [
  'NOT_STARTED', 'STARTED', 'WAITING', 'SUCCEEDED', 'FAILED', 'COMPENSATING', 'COMPENSATED', 'SKIPPED', 'UNKNOWN',
] as const;
export type SagaStepState = (typeof SAGA_STEP_STATES)[number];

/** Step states in which a step's command is out and its outcome not yet known. */
export const RUNNING_STEP_STATES: ReadonlySet<string> = new Set(['STARTED', 'UNKNOWN']);

export const SAGA_STATES = ['STARTED', 'HELD', 'COMPLETED', 'FAILED', 'COMPENSATING', 'COMPENSATED'] as const;
export type SagaState = (typeof SAGA_STATES)[number];

export const ACTIVATION_COMMAND_STATES = [
  'CREATED', 'SENT', 'ACCEPTED', 'VERIFYING', 'SUCCEEDED', 'REJECTED', 'TIMEOUT', 'UNKNOWN',
  'RECONCILED_SUCCEEDED', 'RECONCILED_FAILED',
] as const;
export type ActivationCommandState = (typeof ACTIVATION_COMMAND_STATES)[number];

export const RESOURCE_STATES = [
  'AVAILABLE', 'RESERVED', 'ASSIGNED', 'ACTIVATING', 'ACTIVE', 'SUSPENDED', 'RELEASE_PENDING', 'QUARANTINED',
] as const;
export type ResourceState = (typeof RESOURCE_STATES)[number];

export const FALLOUT_CASE_STATES = ['OPEN', 'RESUMED', 'CANCELLED'] as const;
export type FalloutCaseState = (typeof FALLOUT_CASE_STATES)[number];

export type Transitions<S extends string> = Readonly<Record<S, readonly S[]>>;

export const productOrderTransitions: Transitions<ProductOrderState> = {
  acknowledged: ['inProgress', 'rejected', 'pending', 'assessingCancellation'],
  pending: ['inProgress', 'rejected', 'assessingCancellation'],
  inProgress: ['held', 'pending', 'partial', 'completed', 'failed', 'assessingCancellation'],
  held: ['inProgress', 'partial', 'failed', 'assessingCancellation', 'pendingCancellation'],
  partial: ['inProgress', 'completed', 'held'],
  assessingCancellation: ['pendingCancellation', 'inProgress', 'held'],
  // held: a compensation raised fallout; inProgress: the compensation was refused (approval).
  pendingCancellation: ['cancelled', 'held', 'inProgress'],
  rejected: [], completed: [], failed: [], cancelled: [],
};

export const productOrderItemTransitions: Transitions<ProductOrderItemState> = {
  acknowledged: ['inProgress', 'rejected', 'pending', 'assessingCancellation'],
  pending: ['inProgress', 'rejected', 'assessingCancellation'],
  inProgress: ['held', 'completed', 'failed', 'assessingCancellation'],
  held: ['inProgress', 'failed', 'assessingCancellation', 'pendingCancellation'],
  assessingCancellation: ['pendingCancellation', 'inProgress', 'held'],
  pendingCancellation: ['cancelled', 'held', 'inProgress'],
  rejected: [], completed: [], failed: [], cancelled: [],
};

export const sagaStepTransitions: Transitions<SagaStepState> = {
  NOT_STARTED: ['STARTED', 'SKIPPED'],
  STARTED: ['WAITING', 'SUCCEEDED', 'FAILED', 'UNKNOWN'],
  // WAITING: held for a party, or backing off before a retry.
  WAITING: ['STARTED', 'SUCCEEDED', 'FAILED'],
  UNKNOWN: ['SUCCEEDED', 'FAILED', 'WAITING', 'STARTED'],
  // FAILED -> STARTED only through `resume` of a fallout case. -> NOT_STARTED: replanned by an
  // amendment (§19), to run again under a new idempotency key (so from SUCCEEDED and COMPENSATED).
  FAILED: ['STARTED', 'COMPENSATING', 'NOT_STARTED'],
  SUCCEEDED: ['COMPENSATING', 'NOT_STARTED'],
  COMPENSATING: ['COMPENSATED', 'FAILED'],
  COMPENSATED: ['NOT_STARTED'], SKIPPED: [],
};

export const sagaTransitions: Transitions<SagaState> = {
  STARTED: ['HELD', 'COMPLETED', 'FAILED', 'COMPENSATING'],
  HELD: ['STARTED', 'FAILED', 'COMPENSATING'],
  // HELD: a compensation raised fallout; STARTED/HELD: a compensation that required approval was refused.
  COMPENSATING: ['COMPENSATED', 'FAILED', 'HELD', 'STARTED'],
  COMPLETED: [], FAILED: [], COMPENSATED: [],
};

export const activationCommandTransitions: Transitions<ActivationCommandState> = {
  CREATED: ['SENT'],
  SENT: ['ACCEPTED', 'REJECTED', 'TIMEOUT'],
  ACCEPTED: ['VERIFYING', 'REJECTED', 'TIMEOUT'],
  VERIFYING: ['SUCCEEDED', 'TIMEOUT'],
  TIMEOUT: ['UNKNOWN'],
  // A retry with the same idempotency key re-sends the same command.
  UNKNOWN: ['RECONCILED_SUCCEEDED', 'RECONCILED_FAILED', 'SENT'],
  SUCCEEDED: [], REJECTED: [], RECONCILED_SUCCEEDED: [], RECONCILED_FAILED: [],
};

export const resourceTransitions: Transitions<ResourceState> = {
  AVAILABLE: ['RESERVED'],
  RESERVED: ['ASSIGNED', 'RELEASE_PENDING'],
  ASSIGNED: ['ACTIVATING', 'RELEASE_PENDING'],
  ACTIVATING: ['ACTIVE', 'RELEASE_PENDING'],
  ACTIVE: ['SUSPENDED', 'RELEASE_PENDING'],
  SUSPENDED: ['ACTIVE', 'RELEASE_PENDING'],
  RELEASE_PENDING: ['QUARANTINED', 'AVAILABLE'],
  QUARANTINED: ['AVAILABLE'],
};

export const falloutCaseTransitions: Transitions<FalloutCaseState> = {
  // CANCELLED: the order or item was cancelled while the case was open.
  OPEN: ['RESUMED', 'CANCELLED'],
  RESUMED: [], CANCELLED: [],
};

export class TransitionRefused extends Error {
  constructor(readonly machine: string, readonly from: string, readonly to: string) {
    super(`${machine}: ${from} -> ${to} is not a legal transition`);
  }
}

export function canTransition<S extends string>(machine: Transitions<S>, from: S, to: S): boolean {
  return machine[from].includes(to);
}

/** The guard: returns the new state, or throws TransitionRefused (the caller decides what a refusal means). */
export function transition<S extends string>(name: string, machine: Transitions<S>, from: S, to: S): S {
  if (!canTransition(machine, from, to)) throw new TransitionRefused(name, from, to);
  return to;
}

/** Shortest legal path from `from` to `to` (exclusive of `from`), or null. */
export function pathTo<S extends string>(machine: Transitions<S>, from: S, to: S): S[] | null {
  if (from === to) return [];
  const previous = new Map<S, S>();
  const queue: S[] = [from];
  while (queue.length > 0) {
    const state = queue.shift() as S;
    for (const next of machine[state]) {
      if (previous.has(next) || next === from) continue;
      previous.set(next, state);
      if (next === to) {
        const path: S[] = [to];
        let at = state;
        while (at !== from) { path.unshift(at); at = previous.get(at) as S; }
        return path;
      }
      queue.push(next);
    }
  }
  return null;
}
