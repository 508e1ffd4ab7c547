// Hand-built compiled plans for unit tests of the diff engine and the graph renderer.
import { canonicalJson, sha256Hex } from '../../compiler/hash.js';
import type { CompiledBundle, CompiledSinglePlan, CompiledStep } from '../../compiler/emit/schema.js';

const zeros = '0'.repeat(64);

export function step(id: string, overrides: Partial<CompiledStep> = {}): CompiledStep {
  return {
    id,
    kind: 'resource_reservation',
    owner: 'inventory',
    command: 'ReserveResource',
    succeededEvent: 'ResourceReserved',
    failedEvent: 'ResourceReservationFailed',
    dependsOn: [],
    ref: { type: 'resource', id: id.toUpperCase() },
    sideEffecting: true,
    idempotentAdapter: true,
    timeout: { ms: 600_000, on: { action: 'fail' } },
    retry: { maxRetries: 3, backoff: 'fixed', initialDelayMs: 60_000, maxDelayMs: 60_000, jitter: false, sameIdempotencyKey: false },
    compensation: { kind: 'compensate', action: 'release', requiresApproval: false },
    evidence: [],
    outcomes: {},
    condition: null,
    template: null,
    ...overrides,
  };
}

function withHash<T extends { hash: string }>(plan: T): T {
  const { hash: _hash, ...rest } = plan;
  return { ...plan, hash: sha256Hex(canonicalJson(rest)) };
}

export function plan(planId: string, steps: CompiledStep[], overrides: Partial<CompiledSinglePlan> = {}): CompiledSinglePlan {
  return withHash({
    kind: 'plan',
    formatVersion: 1,
    planId,
    planVersion: 1,
    offeringId: planId.toUpperCase(),
    offeringName: planId,
    source: { file: `${planId}.o2a`, sha256: zeros },
    catalog: { id: 'telco-core', version: '2026.11', sha256: zeros },
    hash: zeros,
    billing: { trigger: 'activation', scheduledFrom: null, blocksCompletion: true },
    completion: { mode: 'all' },
    statusMapping: [],
    steps,
    cancellation: [],
    amendments: [],
    ...overrides,
  });
}

export function bundle(planId: string, items: CompiledBundle['items'], overrides: Partial<CompiledBundle> = {}): CompiledBundle {
  return withHash({
    kind: 'bundle',
    formatVersion: 1,
    planId,
    planVersion: 1,
    offeringId: planId.toUpperCase(),
    offeringName: planId,
    source: { file: `${planId}.o2a`, sha256: zeros },
    catalog: { id: 'telco-core', version: '2026.11', sha256: zeros },
    hash: zeros,
    billing: null,
    completion: { mode: 'partial_allowed' },
    statusMapping: [],
    items,
    ...overrides,
  });
}

/** A small fiber-like chain: internet -> ont -> install -> network. */
export function fiberSteps(): CompiledStep[] {
  return [
    step('internet', { kind: 'service_order_item', ref: { type: 'service', id: 'INTERNET' }, compensation: { kind: 'none' } }),
    step('ont', { dependsOn: ['internet'] }),
    step('install', { kind: 'work_order', owner: 'field', dependsOn: ['ont'], ref: { type: 'work', id: 'FTTH' }, evidence: ['photo'] }),
    step('network', { kind: 'activation', owner: 'network', dependsOn: ['install'], ref: { type: 'target', id: 'OLT' }, timeout: { ms: 300_000, on: { action: 'reconcile' } } }),
  ];
}
