import { describe, it, expect } from 'vitest';
import { migrationVerdict } from '../../compiler/diff/migration.js';
import { fiberSteps, plan } from './plans.js';

const v1 = plan('Fiber', fiberSteps());
const shorterNetworkTimeout = () => {
  const steps = fiberSteps();
  steps[3] = { ...steps[3]!, timeout: { ms: 60_000, on: { action: 'reconcile' } } };
  return plan('Fiber', steps);
};

describe('migrationVerdict', () => {
  it('moves a saga whose changed steps have not started', () => {
    const verdict = migrationVerdict(v1, shorterNetworkTimeout(), new Map([['internet', 'SUCCEEDED'], ['ont', 'STARTED'], ['network', 'NOT_STARTED']]));
    expect(verdict.allowed).toBe(true);
    expect(verdict.changes.map((c) => c.rule)).toEqual(['timeout-shortened']);
  });

  it('refuses a saga that has already run a step the new version changes, saying which', () => {
    const verdict = migrationVerdict(v1, shorterNetworkTimeout(), new Map([['network', 'WAITING']]));
    expect(verdict.allowed).toBe(false);
    expect(verdict.refusals.map((r) => r.reason)).toEqual(['step network has run (WAITING): timeout-shortened']);
  });

  it('refuses a new dependency before a step that has run, allows it before one that has not', () => {
    const steps = fiberSteps();
    steps[3] = { ...steps[3]!, dependsOn: ['install', 'ont'] };
    const v2 = plan('Fiber', steps);
    expect(migrationVerdict(v1, v2, new Map([['ont', 'SUCCEEDED'], ['network', 'SUCCEEDED']])).allowed).toBe(true);
    const refused = migrationVerdict(v1, v2, new Map([['ont', 'NOT_STARTED'], ['network', 'STARTED']]));
    expect(refused.refusals[0]!.reason).toBe('step network has run (STARTED) before its new dependency ont');
  });

  it('refuses a dangerous plan-level change unless asked to accept it', () => {
    const v2 = plan('Fiber', fiberSteps(), { billing: { trigger: 'customer_acceptance', scheduledFrom: null, blocksCompletion: true } });
    expect(migrationVerdict(v1, v2, new Map()).allowed).toBe(false);
    expect(migrationVerdict(v1, v2, new Map(), { acceptDangerous: true }).allowed).toBe(true);
  });
});
