import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, expectedAt, catalogBindingOf } from '../../compiler/syntax/index.js';
import type { PlanDecl, StepDecl, BundleDecl, TemplateDecl, Expr } from '../../compiler/syntax/index.js';
import { docsExample } from './docs-example.js';

const header = 'catalog telco-core 2026.11\n';

function planOf(source: string): PlanDecl {
  const r = parse(source, 'test.o2a');
  expect(r.diagnostics).toEqual([]);
  const plan = r.document.declarations.find((d) => d.kind === 'Plan');
  if (!plan || plan.kind !== 'Plan') throw new Error('no plan');
  return plan;
}

function stepOf(body: string, name: string): StepDecl {
  const step = planOf(`${header}plan P for offering OFF {\n${body}\n}\n`).members.find((m): m is StepDecl => m.kind === 'Step' && m.name.name === name);
  if (!step) throw new Error(`no step ${name}`);
  return step;
}

function conditionOf(rule: string): Expr {
  const p = stepOf(`step a: activation { skip when ${rule} }`, 'a').properties[0];
  if (p?.kind !== 'Rule') throw new Error('no rule');
  return p.condition;
}

function show(e: Expr): string {
  switch (e.kind) {
    case 'Logical': return `(${e.operands.map(show).join(` ${e.op} `)})`;
    case 'Not': return `(not ${show(e.operand)})`;
    case 'Comparison': return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case 'In': return `(${show(e.value)} ${e.negated ? 'not in' : 'in'} [${e.list.map(show).join(', ')}])`;
    case 'CharacteristicRef': return e.path.map((p) => p.name).join('.');
    case 'Literal': return `${e.type}:${String(e.value)}`;
    case 'MissingExpr': return '?';
  }
}

describe('the example of docs/language.md', () => {
  const source = docsExample();
  const result = parse(source, 'example.o2a');
  const [template, plan, bundle] = result.document.declarations as [TemplateDecl, PlanDecl, BundleDecl];

  it('parses without diagnostics into a template, a plan and a bundle', () => {
    expect(result.diagnostics).toEqual([]);
    expect(result.document.declarations.map((d) => `${d.kind} ${d.name.name}`)).toEqual(['Template CpeReservation', 'Plan HomeFiber1G', 'Bundle FamilyPack']);
    expect(result.document.catalog?.id.name).toBe('telco-core');
    expect(result.document.catalog?.version.name).toBe('2026.11');
  });

  it('reads the plan header, its members in source order and its ten steps', () => {
    expect(plan.version?.value).toBe(2);
    expect(plan.offering.name).toBe('HOME_FIBER_1G');
    expect(plan.members.map((m) => m.kind)).toEqual([
      'Billing', 'Defaults', 'Step', 'Step', 'Step', 'Step', 'Step', 'Step', 'Step', 'Step', 'Step', 'Step', 'Cancel', 'Amend', 'Amend', 'Status', 'Completion',
    ]);
    const steps = plan.members.filter((m): m is StepDecl => m.kind === 'Step');
    expect(steps.map((s) => s.name.name)).toEqual(['internet', 'ont', 'router', 'install_slot', 'install', 'network', 'verify', 'inventory', 'billing', 'notify']);
    expect(steps[1]!.template?.name).toBe('CpeReservation');
    expect(steps[3]!.after.map((a) => a.name)).toEqual(['ont', 'router']);
  });

  it('gives every node its exact source range', () => {
    const network = plan.members.find((m): m is StepDecl => m.kind === 'Step' && m.name.name === 'network')!;
    const text = (r: { start: { offset: number }; end: { offset: number } }) => source.slice(r.start.offset, r.end.offset);
    expect(text(network.name.range)).toBe('network');
    expect(text(network.range).startsWith('step network: activation after install {')).toBe(true);
    expect(text(network.range).endsWith('compensate deactivate\n  }')).toBe(true);
    const lines = source.split('\n');
    const line = lines.findIndex((l) => l.includes('step network'));
    expect(network.range.start).toEqual({ line, character: 2, offset: source.indexOf('step network') });
    expect(text(template.range)).toBe('template CpeReservation: resource_reservation {\n  timeout 10m\n  retry 5 every 1m\n  compensate release\n}');
    expect(text(bundle.members[2]!.range)).toBe('item tv: OttStreaming optional');
  });

  it('reads the policies', () => {
    const billing = plan.members[0]!;
    expect(billing).toMatchObject({ kind: 'Billing', trigger: 'activation', gating: 'blocks_completion' });
    const cancel = plan.members.find((m) => m.kind === 'Cancel');
    expect(cancel).toMatchObject({
      rules: [
        { phase: 'before', step: { name: 'ont' }, action: 'stop', requiresApproval: false },
        { phase: 'after', step: { name: 'ont' }, action: 'compensate' },
        { phase: 'after', step: { name: 'network' }, action: 'compensate', requiresApproval: true },
        { phase: 'after', step: { name: 'notify' }, action: 'reject', message: { value: 'the service is active: use a cease order' } },
      ],
    });
    const amends = plan.members.filter((m) => m.kind === 'Amend');
    expect(amends[0]).toMatchObject({ name: { name: 'appointment' }, replan: [{ name: 'install_slot' }, { name: 'install' }] });
    expect(amends[1]).toMatchObject({ name: { name: 'speed' }, until: { name: 'network' }, afterReject: { step: { name: 'network' }, message: { value: 'use a modify order' } } });
    const status = plan.members.find((m) => m.kind === 'Status');
    if (status?.kind !== 'Status') throw new Error('no status');
    expect(status.entries).toHaveLength(6);
    expect(status.entries[0]).toMatchObject({ state: { name: 'received' }, text: { value: 'Order received' } });
    expect(status.entries[0]!.step).toBeUndefined();
    expect(status.entries[1]).toMatchObject({ step: { name: 'install_slot' }, state: { name: 'running' } });
    expect(plan.members[plan.members.length - 1]).toMatchObject({ kind: 'Completion', mode: 'all' });
    expect(bundle.members).toMatchObject([
      { kind: 'Item', name: { name: 'mobile' }, plan: { name: 'MobilePostpaid' }, optional: false },
      { kind: 'Item', name: { name: 'fiber' } },
      { kind: 'Item', name: { name: 'tv' }, optional: true },
      { kind: 'Completion', mode: 'partial_allowed' },
    ]);
  });

  it('collects all comments in source order', () => {
    // `/* Block comment. */` sits after `//` on the same line, so it is part of the line comment.
    expect(result.document.comments.map((c) => c.kind)).toEqual(['doc', 'doc', 'line', 'line']);
    expect(result.document.comments[2]!.text).toBe('// Line comment.   /* Block comment. */');
  });
});

describe('steps and their properties', () => {
  it('reads every step property', () => {
    const step = stepOf(
      `step a: activation after x, y {
        owner service-order  service S  resource R  work W  target T  template N
        timeout 1h30m  on timeout fail  on rejected fallout  on no_access fallout field-ops
        on lost hold provider "wait"  retry 3 exponential 10s max 5m jitter same key
        compensate undo requires approval  irreversible  evidence serial, photo
        only when item.speed >= 1000
      }`,
      'a',
    );
    expect(step.stepKind?.name).toBe('activation');
    expect(step.after.map((a) => a.name)).toEqual(['x', 'y']);
    expect(step.properties).toMatchObject([
      { kind: 'Owner', component: { name: 'service-order' } },
      { kind: 'CatalogRef', key: 'service', ref: { name: 'S' } },
      { kind: 'CatalogRef', key: 'resource', ref: { name: 'R' } },
      { kind: 'CatalogRef', key: 'work', ref: { name: 'W' } },
      { kind: 'CatalogRef', key: 'target', ref: { name: 'T' } },
      { kind: 'CatalogRef', key: 'template', ref: { name: 'N' } },
      { kind: 'Timeout', duration: { text: '1h30m', ms: 5_400_000 } },
      { kind: 'OnTimeout', action: { kind: 'fail' } },
      { kind: 'Outcome', outcome: { name: 'rejected' }, action: { kind: 'fallout' } },
      { kind: 'Outcome', outcome: { name: 'no_access' }, action: { kind: 'fallout', group: { name: 'field-ops' } } },
      { kind: 'Outcome', outcome: { name: 'lost' }, action: { kind: 'hold', party: 'provider', message: { value: 'wait' } } },
      { kind: 'Retry', count: { value: 3 }, backoff: { kind: 'exponential', initial: { ms: 10_000 }, max: { ms: 300_000 } }, jitter: true, sameKey: true },
      { kind: 'Compensate', action: { name: 'undo' }, requiresApproval: true },
      { kind: 'Irreversible' },
      { kind: 'Evidence', items: [{ name: 'serial' }, { name: 'photo' }] },
      { kind: 'Rule', mode: 'only', condition: { kind: 'Comparison', op: '>=' } },
    ]);
    const fallout = step.properties[8];
    expect(fallout?.kind === 'Outcome' && fallout.action.kind === 'fallout' && fallout.action.group).toBe(undefined);
  });

  it('reads retry none as a count of zero, and a step without block or properties', () => {
    const plan = planOf(`${header}plan P for offering OFF { step a: activation { retry none } step b: verification after a }`);
    expect(plan.members[0]).toMatchObject({ properties: [{ kind: 'Retry', count: { value: 0 }, jitter: false }] });
    expect(plan.members[1]).toMatchObject({ kind: 'Step', name: { name: 'b' }, after: [{ name: 'a' }], properties: [] });
  });

  it('reads the billing triggers and gatings', () => {
    const triggers = ['acceptance', 'activation', 'customer acceptance', 'first usage', 'scheduled date item.contractStart'];
    const read = triggers.map((t) => planOf(`${header}plan P for offering OFF { billing starts on ${t}, revenue assurance }`).members[0]);
    expect(read.map((b) => b?.kind === 'Billing' && b.trigger)).toEqual(['acceptance', 'activation', 'customer_acceptance', 'first_usage', 'scheduled_date']);
    expect(read[4]).toMatchObject({ scheduledFrom: { path: [{ name: 'item' }, { name: 'contractStart' }] }, gating: 'revenue_assurance' });
  });

  it('reads plan versions, template declarations and bundle versions', () => {
    const r = parse(`${header}template T: appointment { timeout 2d }\nbundle B version 4 for offering O { item a: P  billing starts on acceptance  status { completed: "ok" } }`, 't.o2a');
    expect(r.diagnostics).toEqual([]);
    expect(r.document.declarations[0]).toMatchObject({ kind: 'Template', name: { name: 'T' }, stepKind: { name: 'appointment' }, properties: [{ kind: 'Timeout', duration: { ms: 172_800_000 } }] });
    expect(r.document.declarations[1]).toMatchObject({ kind: 'Bundle', version: { value: 4 }, members: [{ kind: 'Item' }, { kind: 'Billing' }, { kind: 'Status' }] });
  });
});

describe('expressions', () => {
  it('binds not tighter than and, and tighter than or; a chain of one operator is one flat node', () => {
    expect(show(conditionOf('item.a or item.b and not item.c'))).toBe('(item.a or (item.b and (not item.c)))');
    expect(show(conditionOf('(item.a or item.b) and item.c'))).toBe('((item.a or item.b) and item.c)');
    expect(show(conditionOf('item.a and item.b and item.c'))).toBe('(item.a and item.b and item.c)');
    expect(show(conditionOf('not item.x == "self"'))).toBe('(not (item.x == string:self))');
  });

  it('reads comparisons, in-lists and every literal type', () => {
    expect(show(conditionOf('item.speed > 100 and item.ratio <= 2.5'))).toBe('((item.speed > number:100) and (item.ratio <= number:2.5))');
    expect(show(conditionOf('item.kind not in ["a", "b"]'))).toBe('(item.kind not in [string:a, string:b])');
    expect(show(conditionOf('item.grace < 30m or item.flag == true or item.off != false'))).toBe(
      '((item.grace < duration:1800000) or (item.flag == boolean:true) or (item.off != boolean:false))',
    );
  });

  it('decodes string escapes', () => {
    const c = conditionOf('item.x == "a \\"b\\" \\\\ c\\n"');
    expect(c.kind === 'Comparison' && c.right.kind === 'Literal' && c.right.value).toBe('a "b" \\ c\n');
  });
});

describe('soft keywords', () => {
  it('accepts keywords as step, item, amendment and reference names', () => {
    const plan = planOf(`${header}plan P for offering OFF {
      step billing: billing_trigger
      step network: activation after billing
      step install: work_order
      step verify: verification after network, install { skip when item.status == "x" }
      step notify: notification
      step inventory: inventory_commit after verify
      step plan: x
      step step: y after plan
      cancel { after billing: compensate }
      amend status { replan billing }
      status { billing running: "Billing" }
    }`);
    const names = plan.members.filter((m): m is StepDecl => m.kind === 'Step').map((s) => s.name.name);
    expect(names).toEqual(['billing', 'network', 'install', 'verify', 'notify', 'inventory', 'plan', 'step']);
    expect(plan.members).toContainEqual(expect.objectContaining({ kind: 'Amend', name: expect.objectContaining({ name: 'status' }) }));
  });

  it('keeps inner hyphens and keyword prefixes in names', () => {
    const step = stepOf('step service-order: x { owner service-order  compensate onboarding }', 'service-order');
    expect(step.properties).toMatchObject([{ component: { name: 'service-order' } }, { action: { name: 'onboarding' } }]);
    const r = parse(`${header}bundle B for offering O { item tv: OttStreaming  item only: X optional }`, 'b.o2a');
    expect(r.diagnostics).toEqual([]);
    expect((r.document.declarations[0] as BundleDecl).members.map((m) => m.kind === 'Item' && m.name.name)).toEqual(['tv', 'only']);
  });

  it('classifies keywords used as names as identifiers in the token list', () => {
    const r = parse(`${header}plan P for offering OFF { step billing: billing_trigger { timeout 5m } }`, 'k.o2a');
    const billing = r.tokens.filter((t) => t.text === 'billing');
    expect(billing.map((t) => t.type)).toEqual(['identifier']);
    expect(r.tokens.find((t) => t.text === 'step')?.type).toBe('keyword');
    expect(r.tokens.find((t) => t.text === '2026.11')?.type).toBe('version');
    expect(r.tokens.find((t) => t.text === '5m')?.type).toBe('duration');
  });
});

describe('comments', () => {
  const source = `/// File doc is not attached.
${header}
/// Reserves the CPE.
/// Releases it on cancel.
template T: resource_reservation { timeout 1m }

// not a doc comment
/// Home fibre.
plan P for offering OFF {
  /// The first step.
  step a: activation /* inline */ // trailing
  // between
  step b: verification
  /// ignored: a line comment follows
  // breaks the run
  step c: notification
}
`;
  const r = parse(source, 'c.o2a');

  it('attaches doc comments to the declaration or step below them', () => {
    expect(r.diagnostics).toEqual([]);
    const [t, p] = r.document.declarations as [TemplateDecl, PlanDecl];
    expect(t.doc).toBe('Reserves the CPE.\nReleases it on cancel.');
    expect(p.doc).toBe('Home fibre.');
    const steps = p.members as StepDecl[];
    expect(steps.map((s) => s.doc)).toEqual(['The first step.', undefined, undefined]);
  });

  it('keeps every comment in source order with its markers and range', () => {
    expect(r.document.comments.map((c) => c.text)).toEqual([
      '/// File doc is not attached.',
      '/// Reserves the CPE.',
      '/// Releases it on cancel.',
      '// not a doc comment',
      '/// Home fibre.',
      '/// The first step.',
      '/* inline */',
      '// trailing',
      '// between',
      '/// ignored: a line comment follows',
      '// breaks the run',
    ]);
    for (const c of r.document.comments) expect(source.slice(c.range.start.offset, c.range.end.offset)).toBe(c.text);
    expect(r.tokens.filter((t) => t.type === 'comment')).toHaveLength(11);
  });
});

describe('durations', () => {
  const cases: [string, number][] = [['500ms', 500], ['30s', 30_000], ['10m', 600_000], ['2h', 7_200_000], ['1d', 86_400_000], ['1h30m', 5_400_000], ['1d2h3m4s5ms', 93_784_005]];
  it.each(cases)('reads %s as %d ms', (text, ms) => {
    const p = stepOf(`step a: x { timeout ${text} }`, 'a').properties[0];
    expect(p).toMatchObject({ kind: 'Timeout', duration: { text, ms } });
  });

  it.each([['10x', "invalid duration '10x'"], ['10', "duration '10' has no unit"], ['10M', 'units are lower case'], ['30m1h', 'largest to the smallest']])(
    'reports %s with the units in the help',
    (text, message) => {
      const r = parse(`${header}plan P for offering OFF { step a: x { timeout ${text} } }`, 'd.o2a');
      expect(r.diagnostics).toHaveLength(1);
      expect(r.diagnostics[0]).toMatchObject({ code: 'O2A0005', severity: 'error' });
      expect(r.diagnostics[0]!.message).toContain(message);
      expect(r.diagnostics[0]!.help).toMatch(/ms|m/);
    },
  );
});

describe('content assist', () => {
  it('offers plan members inside a plan body', () => {
    const a = expectedAt(`${header}plan P for offering OFF {\n  `, 999);
    expect(a.keywords).toEqual(['amend', 'billing', 'cancel', 'completion', 'defaults', 'status', 'step']);
    expect(a.punctuation).toEqual(['}']);
  });

  it('names the slot of an expected name and the partial word', () => {
    const source = `${header}plan P for offering OFF {\n  step a: x\n  step b: y after a, `;
    expect(expectedAt(source, source.length)).toMatchObject({ prefix: '', nameSlots: ['stepRef'] });
    expect(expectedAt(`${source}ins`, source.length + 3)).toMatchObject({ prefix: 'ins', nameSlots: ['stepRef'] });
    const prop = `${header}plan P for offering OFF { step a: x { resource `;
    expect(expectedAt(prop, prop.length).nameSlots).toEqual(['catalogEntryRef']);
    const t = `${header}plan P for offering OFF { step a: x { timeout `;
    expect(expectedAt(t, t.length).literals).toEqual(['duration']);
  });

  it('offers top-level declarations after the catalog line and nothing inside a comment', () => {
    expect(expectedAt(header, header.length).keywords).toEqual(['bundle', 'plan', 'template']);
    expect(expectedAt(`${header}// plan`, header.length + 7).keywords).toEqual([]);
  });
});

describe('the catalog line, read without parsing', () => {
  const cases = [
    header,
    `// Home fiber\n/* pinned */\n${header}plan P for offering OFF {}\n`,
    'catalog plan 2026.11\n',
    'catalog telco-core\nplan P for offering OFF {}\n',
    'catalog 2026.11\n',
    'plan P for offering OFF {}\ncatalog telco-core 2026.11\n',
    '',
    'catalog telco-core 2026.11.\n',
  ];
  it.each(cases)('agrees with the parser on %j', (source) => {
    const bound = parse(source, 'a.o2a').document.catalog;
    const expected = bound && !bound.id.missing && !bound.version.missing ? { id: bound.id.name, version: bound.version.name } : undefined;
    expect(catalogBindingOf(source)).toEqual(expected);
  });

  it('reads the binding of every sample plan', () => {
    const files = readdirSync('plans').filter((f) => f.endsWith('.o2a'));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) expect(catalogBindingOf(readFileSync(join('plans', f), 'utf8')), f).toEqual({ id: 'telco-core', version: '2026.11' });
  });
});
