// The bound model the language server reads: the reference index and each step's resolved policies.
import { describe, it, expect } from 'vitest';
import { compileWorkspace } from '../../compiler/index.js';
import { bundlePeers, catalog, languageExample } from './helpers.js';

const workspace = () => compileWorkspace([
  { file: 'home.o2a', text: languageExample() }, { file: 'peers.o2a', text: bundlePeers },
], catalog());

describe('the reference index', () => {
  it('resolves step references to their declaration', () => {
    const { model } = workspace();
    const text = languageExample();
    const refs = model.references.filter((r) => r.target.kind === 'step' && r.target.step === 'network');
    expect(refs.map((r) => r.role).sort()).toEqual(['after', 'amend', 'amend', 'cancel', 'status']);
    const def = model.definitions.find((d) => d.target.kind === 'step' && d.target.step === 'network')!;
    expect(text.slice(def.range.start.offset, def.range.end.offset)).toBe('network');
  });

  it('resolves templates, plans across files, catalog names and characteristics', () => {
    const { model } = workspace();
    const targetOf = (name: string, role: string) => model.references.find((r) => r.name === name && r.role === role)?.target;
    expect(targetOf('CpeReservation', 'template')).toMatchObject({ kind: 'template', name: 'CpeReservation', file: 'home.o2a' });
    expect(targetOf('MobilePostpaid', 'bundleItem')).toMatchObject({ kind: 'plan', name: 'MobilePostpaid', file: 'peers.o2a' });
    expect(targetOf('ONT_GPON', 'catalogRef')).toEqual({ kind: 'catalog', section: 'resource', id: 'ONT_GPON' });
    expect(targetOf('activation', 'stepKind')).toEqual({ kind: 'catalog', section: 'stepKind', id: 'activation' });
    expect(targetOf('routerIncluded', 'characteristic')).toEqual({ kind: 'catalog', section: 'characteristic', id: 'routerIncluded', offering: 'HOME_FIBER_1G' });
    expect(targetOf('HOME_FIBER_1G', 'offering')).toEqual({ kind: 'catalog', section: 'offering', id: 'HOME_FIBER_1G' });
  });
});

describe('resolved policies', () => {
  it('says where every policy came from: step, template, plan defaults or catalog', () => {
    const { model } = workspace();
    const plan = model.plans.get('HomeFiber1G')!;
    const ont = plan.stepByName.get('ont')!.policies;
    expect([ont.timeoutMs.value, ont.timeoutMs.source]).toEqual([600_000, 'template']);
    expect(ont.retry.source).toBe('template');
    expect(ont.owner).toEqual({ value: 'resource-inventory', source: 'catalog' });
    const internet = plan.stepByName.get('internet')!.policies;
    expect(internet.owner.source).toBe('step');
    expect([internet.timeoutMs.value, internet.timeoutMs.source]).toEqual([3_600_000, 'defaults']);
    expect(internet.onTimeout).toEqual({ value: { action: 'fail' }, source: 'catalog' });
    const network = plan.stepByName.get('network')!.policies;
    expect(network.onTimeout.value).toEqual({ action: 'reconcile' });
    expect(network.onTimeout.source).toBe('step');
    expect(network.compensation?.value).toEqual({ kind: 'compensate', action: 'deactivate', requiresApproval: false });
  });
});
