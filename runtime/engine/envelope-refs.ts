// The §9 ids a message carries besides its order, item, saga and step: whatever of the service
// order, service order item, resource reservation, activation command, work order, appointment and
// customer exists when the message is written, taken from the unit of work (no query). Stored in
// one jsonb column of the outbox (`refs`, migration 016), relayed with the envelope, and shown in
// the audit trail's entry of the message sent (and by `o2a events`).
//
// What each id is:
// - serviceOrderId: the item's saga, as the TMF641 read side (service/service-ordering.ts) presents
//   it: a saga is a ServiceOrder when its plan has a service step (owned by service order
//   management, `service-order`, on a `service`); serviceOrderItemId: that step, on its messages.
// - resourceReservationId: the reservation a `resource_reservation` step made (it exists once the
//   step succeeded: its facts, compensation and release carry it; the reserving command does not).
// - activationCommandId: the activation command of an `activation` step's current idempotency key
//   (created before the command is sent: the command, its read-back and compensation carry it).
// - workOrderId, appointmentId: the id the owner answered for a `work_order` / `appointment` step
//   (its external reference): the runtime does not make up ids for another component's records,
//   so the dispatching or booking command carries none, everything after the owner's answer does
//   (its facts, a cancellation's `cancel_dispatch` / `cancel_appointment`).
// - customerId: the order's customer (its related party), on every message of the order that has one.
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import type { Envelope, EnvelopeRefs } from './messages.js';
import type { UnitOfWork } from './unit-of-work.js';

/** Service order management: the catalog's owner of the steps TMF641 shows as ServiceOrderItems. */
export const SERVICE_ORDER_OWNER = 'service-order';

/** The step kinds whose owner's external reference names a record of §9. */
const EXTERNAL_REF_OF_KIND: Readonly<Record<string, 'workOrderId' | 'appointmentId'>> = {
  work_order: 'workOrderId', appointment: 'appointmentId',
};

const serviceSteps = new WeakMap<CompiledPlan, ReadonlySet<string>>();

/** A plan's steps TMF641 shows as ServiceOrderItems (empty: its saga is no service order). */
export function serviceStepsOf(plan: CompiledPlan): ReadonlySet<string> {
  let steps = serviceSteps.get(plan);
  if (!steps) {
    steps = new Set(plan.kind === 'plan' ? plan.steps.filter((s) => s.owner === SERVICE_ORDER_OWNER && s.ref?.type === 'service').map((s) => s.id) : []);
    serviceSteps.set(plan, steps);
  }
  return steps;
}

/** The §9 ids of a message, from what the unit of work holds; undefined when it has none. */
export function refsFor(uow: UnitOfWork, message: Envelope): EnvelopeRefs | undefined {
  const refs: EnvelopeRefs = {};
  const customerId = uow.orders.get(message.productOrderId)?.customerId;
  if (customerId) refs.customerId = customerId;
  const saga = message.sagaId ? uow.sagas.get(message.sagaId) : undefined;
  if (saga) {
    const plan = uow.plans.get(saga.planHash);
    const services = plan ? serviceStepsOf(plan) : undefined;
    if (services && services.size > 0) refs.serviceOrderId = saga.id;
    // The step the message is about: its envelope's, else the one a fact names in its payload.
    const stepId = message.stepId ?? (typeof message.payload?.stepId === 'string' ? message.payload.stepId : null);
    const step = stepId ? uow.step(saga.id, stepId) : undefined;
    if (step) {
      if (services?.has(step.stepId)) refs.serviceOrderItemId = step.stepId;
      if (step.kind === 'resource_reservation') {
        const made = uow.reservationsOf(saga.id).filter((r) => r.stepId === step.stepId);
        const last = made[made.length - 1];
        if (last) refs.resourceReservationId = last.id;
      } else if (step.kind === 'activation') {
        const command = uow.activationFor(saga.id, step.stepId, step.idempotencyKey);
        if (command) refs.activationCommandId = command.id;
      }
      const external = EXTERNAL_REF_OF_KIND[step.kind];
      if (external && step.externalRef) refs[external] = step.externalRef;
    }
  }
  return Object.keys(refs).length > 0 ? refs : undefined;
}
