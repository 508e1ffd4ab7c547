import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { compileWorkspace } from '../../compiler/index.js';
import { serializeCompiledPlan } from '../../compiler/emit/index.js';
import { compiledPlanSchema, type CompiledSinglePlan } from '../../compiler/emit/schema.js';
import { canonicalJson, sha256Hex } from '../../compiler/hash.js';
import { compiledPlanValidator } from '../../compiler/emit/validate.js';
import { bundlePeers, catalog, codes, compile, errors, languageExample, repoRoot } from './helpers.js';

function exampleWorkspace() {
  return [
    { file: 'plans/home-fiber.o2a', text: languageExample() },
    { file: 'plans/peers.o2a', text: bundlePeers },
  ];
}

describe('the docs/language.md example', () => {
  it('compiles without errors against catalogs/2026.11, with its bundle', () => {
    const result = compileWorkspace(exampleWorkspace(), catalog());
    expect(errors(result)).toEqual([]);
    expect(result.plans.map((p) => p.planId)).toEqual(['FamilyPack', 'HomeFiber1G', 'MobilePostpaid', 'OttStreaming']);
  });

  it('lowers steps in topological order with resolved policies', () => {
    const result = compileWorkspace(exampleWorkspace(), catalog());
    const plan = result.plans.find((p) => p.planId === 'HomeFiber1G') as CompiledSinglePlan;
    expect(plan.steps.map((s) => s.id)).toEqual(['internet', 'ont', 'router', 'install_slot', 'install', 'network', 'verify', 'inventory', 'billing', 'notify']);
    const step = (id: string) => plan.steps.find((s) => s.id === id)!;
    expect(step('ont').timeout).toEqual({ ms: 600_000, on: { action: 'fail' } });
    expect(step('ont').retry).toMatchObject({ maxRetries: 5, backoff: 'fixed', initialDelayMs: 60_000 });
    expect(step('ont').template).toBe('CpeReservation');
    expect(step('internet').timeout.ms).toBe(3_600_000);
    expect(step('internet').retry).toMatchObject({ maxRetries: 3, backoff: 'exponential', initialDelayMs: 30_000, maxDelayMs: 600_000, jitter: true });
    expect(step('network').timeout).toEqual({ ms: 300_000, on: { action: 'reconcile' } });
    expect(step('network').retry.sameIdempotencyKey).toBe(true);
    expect(step('notify').owner).toBe('notification');
    expect(step('verify').compensation).toEqual({ kind: 'none' });
    expect(step('install').compensation).toEqual({ kind: 'compensate', action: 'cancel_dispatch', requiresApproval: true });
    expect(step('install').outcomes).toEqual({ no_access: { action: 'hold', party: 'customer', message: 'Please pick a new installation slot' } });
    expect(step('router').condition).toEqual({
      mode: 'skip',
      expr: { op: 'and', args: [
        { op: 'eq', left: { op: 'characteristic', name: 'installation' }, right: { op: 'literal', value: 'self' } },
        { op: 'not', arg: { op: 'characteristic', name: 'routerIncluded' } },
      ] },
    });
    expect(plan.billing).toEqual({ trigger: 'activation', scheduledFrom: null, blocksCompletion: true });
    expect(plan.catalog).toEqual({ id: 'telco-core', version: '2026.11', sha256: catalog().sha256 });
    expect(plan.source.sha256).toBe(sha256Hex(languageExample()));
  });

  it('addresses every plan by the hash of its canonical JSON, and a bundle its items by their hashes', () => {
    const result = compileWorkspace(exampleWorkspace(), catalog());
    const validate = compiledPlanValidator();
    for (const plan of result.plans) {
      expect(validate(plan)).toEqual({ ok: true });
      const { hash, ...rest } = plan;
      expect(hash).toBe(sha256Hex(canonicalJson(rest)));
      expect(compiledPlanSchema.safeParse(plan).success).toBe(true);
    }
    const bundle = result.plans.find((p) => p.kind === 'bundle')!;
    expect(bundle.kind === 'bundle' && bundle.items.map((i) => [i.name, i.planHash])).toEqual([
      ['mobile', result.plans.find((p) => p.planId === 'MobilePostpaid')!.hash],
      ['fiber', result.plans.find((p) => p.planId === 'HomeFiber1G')!.hash],
      ['tv', result.plans.find((p) => p.planId === 'OttStreaming')!.hash],
    ]);
  });
});

describe('determinism', () => {
  it('gives byte-identical output for the same input, whatever the order of the files', () => {
    const a = compileWorkspace(exampleWorkspace(), catalog());
    const b = compileWorkspace([...exampleWorkspace()].reverse(), catalog());
    expect(a.plans.map(serializeCompiledPlan)).toEqual(b.plans.map(serializeCompiledPlan));
    expect(a.diagnostics).toEqual(b.diagnostics);
    const text = serializeCompiledPlan(a.plans[0]!);
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toEqual(JSON.parse(canonicalJson(a.plans[0]!)));
  });
});

describe('errors', () => {
  it('reports every plan of every file and compiles the plans without errors', () => {
    const broken = `catalog telco-core 2026.11\n\nplan Broken for offering OTT_STREAMING {\n  step ott: service_order_item { service OTT_STREAMNG_CFS }\n}\n`;
    const result = compileWorkspace([{ file: 'a.o2a', text: broken }, { file: 'b.o2a', text: bundlePeers }], catalog());
    expect(codes(result)).toContain('O2A2013');
    expect(result.plans.map((p) => p.planId)).toEqual(['MobilePostpaid', 'OttStreaming']);
    const d = result.diagnostics.find((x) => x.code === 'O2A2013')!;
    expect(d.help).toBe("did you mean 'OTT_STREAMING_CFS'?");
    expect(d.fixes?.[0]?.edits[0]?.newText).toBe('OTT_STREAMING_CFS');
  });

  it('names the versions when a plan is checked against another snapshot', () => {
    const text = `catalog telco-core 2026.11\n\nplan HomeFiber1G for offering HOME_FIBER_1G {\n  step internet: service_order_item { service INTERNET_ACCESS_CFS }\n}\n`;
    const result = compileWorkspace([{ file: 'a.o2a', text }], catalog('2026.10'));
    expect(result.diagnostics.find((d) => d.code === 'O2A2003')?.message)
      .toBe('plan HomeFiber1G is pinned to catalog telco-core 2026.11 but is checked against 2026.10');
    expect(result.plans).toEqual([]);
  });

  it('reports a cycle once, as the path that closes it, on the closing reference', () => {
    const text = `catalog telco-core 2026.11\n\nplan P for offering OTT_STREAMING {
  step ott: service_order_item { service OTT_STREAMING_CFS }
  step install: verification after ott, verify
  step network: verification after install
  step verify: verification after network
}\n`;
    const cycles = compile(text).diagnostics.filter((d) => d.code === 'O2A3001');
    expect(cycles.map((d) => d.message)).toEqual(['dependency cycle in plan P: install -> network -> verify -> install']);
    expect(text.slice(cycles[0]!.range.start.offset, cycles[0]!.range.end.offset)).toBe('verify');
  });

  it('does not emit a plan whose template has errors', () => {
    const text = `catalog telco-core 2026.11\n\ntemplate T: resource_reservation { compensate relase }\n\nplan P for offering STATIC_IP_ADDON {
  step order: service_order_item { service STATIC_IP_CFS }
  step ip from T after order { resource IPV4_STATIC }
}\n`;
    const result = compile(text);
    expect(codes(result)).toContain('O2A4002');
    expect(result.plans).toEqual([]);
  });

  it('reports a misspelt template of the billing step once, not also as a missing billing step', () => {
    const source = readFileSync(join(repoRoot, 'plans', 'home-fiber.o2a'), 'utf8');
    const templates = readFileSync(join(repoRoot, 'plans', 'templates.o2a'), 'utf8');
    expect(source).toContain('step billing from BillingReadiness');
    const typo = source.replace('step billing from BillingReadiness', 'step billing from BilingReadiness');
    const result = compileWorkspace([{ file: 'plans/home-fiber.o2a', text: typo }, { file: 'plans/templates.o2a', text: templates }], catalog());
    expect(codes(result)).toEqual(['O2A2021']);
    expect(result.diagnostics[0]!.message).toContain('BilingReadiness');
  });
});
