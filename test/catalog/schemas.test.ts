// The published JSON Schemas: generated from the zod schemas, committed, never drifting.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020Module from 'ajv/dist/2020.js';
import { generatedSchemas, schemaFileText, schemasDir } from '../../compiler/schemas.js';
import { compiledPlanValidator } from '../../compiler/emit/validate.js';
import { COMPILED_PLAN_FORMAT_VERSION, type CompiledSinglePlan } from '../../compiler/emit/schema.js';

const Ajv2020 = Ajv2020Module.default;
const hash = 'a'.repeat(64);

function minimalPlan(): CompiledSinglePlan {
  return {
    kind: 'plan', formatVersion: COMPILED_PLAN_FORMAT_VERSION, planId: 'HomeFiber1G', planVersion: 1,
    offeringId: 'HOME_FIBER_1G', offeringName: 'Home Fiber 1 Gbps',
    source: { file: 'plans/home-fiber.o2a', sha256: hash },
    catalog: { id: 'telco-core', version: '2026.11', sha256: hash },
    hash,
    billing: { trigger: 'activation', scheduledFrom: null, blocksCompletion: true },
    completion: { mode: 'all' },
    statusMapping: [{ step: null, state: 'completed', text: 'Service active' }],
    steps: [{
      id: 'network', kind: 'activation', owner: 'activation-gateway', command: 'SubmitActivationCommand',
      succeededEvent: 'ActivationCommandSucceeded', failedEvent: 'ActivationCommandFailed', dependsOn: [],
      ref: { type: 'target', id: 'OLT_BNG_RADIUS' }, sideEffecting: true, idempotentAdapter: false,
      timeout: { ms: 300000, on: { action: 'reconcile' } },
      retry: { maxRetries: 2, backoff: 'fixed', initialDelayMs: 60000, maxDelayMs: 60000, jitter: false, sameIdempotencyKey: true },
      compensation: { kind: 'compensate', action: 'deactivate', requiresApproval: false },
      evidence: [], outcomes: { rejected: { action: 'fallout' } },
      condition: { mode: 'skip', expr: { op: 'eq', left: { op: 'characteristic', name: 'installation' }, right: { op: 'literal', value: 'self' } } },
      template: null,
    }],
    cancellation: [], amendments: [],
  };
}

describe('generated JSON Schemas', () => {
  const schemas = generatedSchemas();

  it('the committed files equal the generated schemas (run `npm run schemas` after changing a zod schema)', () => {
    expect(Object.keys(schemas).sort()).toEqual(['catalog.schema.json', 'compiled-plan.schema.json']);
    for (const [file, schema] of Object.entries(schemas)) {
      expect(readFileSync(join(schemasDir, file), 'utf8'), file).toBe(schemaFileText(schema));
    }
  });

  it('are draft 2020-12 with an $id and a title, and ajv compiles them in strict mode', () => {
    for (const [file, schema] of Object.entries(schemas)) {
      expect(schema).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', $id: expect.stringMatching(new RegExp(`/${file}$`)), title: expect.any(String) });
      const ajv = new Ajv2020({ strict: true, allowUnionTypes: true });
      expect(() => ajv.compile(JSON.parse(readFileSync(join(schemasDir, file), 'utf8')) as object)).not.toThrow();
    }
  });

  it('the committed catalog schema accepts both sample snapshots and rejects a broken one', () => {
    const validate = new Ajv2020({ strict: true, allowUnionTypes: true }).compile(JSON.parse(readFileSync(join(schemasDir, 'catalog.schema.json'), 'utf8')) as object);
    for (const version of ['2026.10', '2026.11']) {
      const data = JSON.parse(readFileSync(join(import.meta.dirname, '../../catalogs', version, 'catalog.json'), 'utf8')) as Record<string, unknown>;
      expect(validate(data), version).toBe(true);
      expect(validate({ ...data, stepKinds: 'none' })).toBe(false);
    }
  });
});

describe('compiledPlanValidator', () => {
  const validate = compiledPlanValidator();

  it('accepts a well-formed plan', () => {
    expect(validate(minimalPlan())).toEqual({ ok: true });
  });

  it('names the path of each problem', () => {
    const plan = minimalPlan() as unknown as { steps: Record<string, unknown>[]; billing: Record<string, unknown> };
    plan.steps[0]!.timeout = { ms: -5, on: { action: 'fail' } };
    plan.steps[0]!.retries = 3;
    plan.billing.trigger = 'on_activation';
    const verdict = validate(plan);
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.errors).toEqual(expect.arrayContaining([
      { path: '/steps/0/timeout/ms', message: 'must be > 0' },
      { path: '/steps/0', message: "unknown property 'retries'" },
      { path: '/billing/trigger', message: 'must be one of acceptance, activation, customer_acceptance, first_usage, scheduled_date' },
    ]));
    expect(verdict.errors).toHaveLength(3);
  });

  it('explains a wrong discriminator without the noise of every other branch', () => {
    const verdict = validate({ ...minimalPlan(), kind: 'offer' });
    expect(verdict).toEqual({ ok: false, errors: [{ path: '/kind', message: 'must be one of plan, bundle' }] });
  });

  it('rejects what is not a plan at all', () => {
    expect(validate(null)).toEqual({ ok: false, errors: [{ path: '/', message: 'must be object' }] });
    expect(validate([]).ok).toBe(false);
  });
});
