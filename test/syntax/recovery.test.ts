import { describe, it, expect } from 'vitest';
import { parse } from '../../compiler/syntax/index.js';
import type { PlanDecl, StepDecl } from '../../compiler/syntax/index.js';
import { docsExample } from './docs-example.js';

const example = docsExample();

function stepNames(source: string): string[] {
  const plan = parse(source, 'r.o2a').document.declarations.find((d): d is PlanDecl => d.kind === 'Plan');
  return plan?.members.filter((m): m is StepDecl => m.kind === 'Step').map((s) => s.name.name) ?? [];
}

// [what is written right, the typo, the code, words the message must contain, the help if any]
const typos: [string, string, string, string, string?][] = [
  ['step install_slot: appointment', 'step install_slot appointment', 'O2A0004', "expected ':' or 'from' after the step name 'install_slot', found 'appointment'"],
  ['version 2 for offering', 'version 2 offering', 'O2A0004', "expected 'for'", 'plan <Name> [version <n>] for offering'],
  ['version 2 for offering', 'version 2 fro offering', 'O2A0004', "expected 'for' after '2', found 'fro'", "did you mean 'for'?"],
  ['timeout 5m', 'timout 5m', 'O2A0004', "unexpected 'timout': expected a step property", "did you mean 'timeout'?"],
  ['timeout 5m', 'timeout 5x', 'O2A0005', "invalid duration '5x'", '500ms, 30s, 10m, 2h, 1d'],
  ['retry 2 every 1m', 'retry every 1m', 'O2A0004', "expected 'none' or a number after 'retry', found 'every'"],
  ['retry 2 every 1m', 'retry 2.5 every 1m', 'O2A0006', "retry count must be a whole number, found '2.5'", "did you mean '2'?"],
  ['after ont, router', 'after ont router', 'O2A0004', "expected ',' between the step names 'ont' and 'router'"],
  ['== "self"', '= "self"', 'O2A0001', "unexpected character '='", "did you mean '=='?"],
  ['"Order received"', '"Order received', 'O2A0002', 'string is not closed'],
  ['before ont: stop', 'before ont stop', 'O2A0004', "expected ':' after 'ont', found 'stop'"],
  ['item tv: OttStreaming', 'item tv OttStreaming', 'O2A0004', "expected ':' after the item name 'tv'"],
  ['completion all', 'completion al', 'O2A0004', "expected 'all' or 'partial' after 'completion', found 'al'", "did you mean 'all'?"],
  ['not item.routerIncluded', 'not', 'O2A0004', "expected an expression (a characteristic such as item.speed"],
  ['2026.11', '2026.11.', 'O2A0008', "malformed catalog version '2026.11.'", "did you mean '2026.11'?"],
  ['hold customer "Please pick an installation slot"', 'hold customr "Please pick an installation slot"', 'O2A0004', "expected 'customer' or 'provider' after 'hold', found 'customr'", "did you mean 'customer'?"],
  ['fallout field-ops }', 'fallout field-ops', 'O2A0004', "missing '}' to close the properties of step 'verify'"],
  ['starts on activation', 'starts on activaton', 'O2A0004', 'expected a billing trigger', "did you mean 'activation'?"],
  ['step ont from', 'step ont frm', 'O2A0004', "expected ':' or 'from' after the step name 'ont', found 'frm'"],
  ['irreversible\n  }\n  step install:', 'irreversible;\n  }\n  step install:', 'O2A0001', "unexpected character ';'", 'need no separator'],
  ['version 2 for', 'version 2.5 for', 'O2A0009', "plan version must be a whole number, found '2.5'"],
  // A misspelt word after a property is matched against what may go on that property.
  ['retry 3 exponential 30s max 10m', 'retry 3 exponentail 30s max 10m', 'O2A0004', "unexpected 'exponentail': expected a step property", "did you mean 'exponential'?"],
  ['compensate cancel_dispatch requires approval', 'compensate cancel_dispatch requries approval', 'O2A0004', "unexpected 'requries'", "did you mean 'requires'?"],
];

describe('error recovery', () => {
  it.each(typos)('%s -> %s gives exactly one diagnostic and keeps the later steps', (right, wrong, code, message, help) => {
    expect(example).toContain(right);
    const source = example.replace(right, wrong);
    const r = parse(source, 'r.o2a');
    expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toHaveLength(1);
    const d = r.diagnostics[0]!;
    expect(d.code).toBe(code);
    expect(d.message).toContain(message);
    if (help !== undefined) expect(d.help).toContain(help);
    expect(d.file).toBe('r.o2a');
    const steps = stepNames(source);
    expect(steps).toContain('notify');
    expect(steps).toContain('billing');
    expect(r.document.declarations.map((x) => x.kind)).toEqual(['Template', 'Plan', 'Bundle']);
  });

  it('points at the offending token', () => {
    const source = example.replace('timeout 5m', 'timout 5m');
    const d = parse(source, 'r.o2a').diagnostics[0]!;
    expect(source.slice(d.range.start.offset, d.range.end.offset)).toBe('timout');
    expect(d.fixes?.[0]?.edits[0]?.newText).toBe('timeout');
  });

  it('keeps the step when the step keyword is misspelt', () => {
    const r = parse(example.replace('step install_slot: appointment', 'stpe install_slot: appointment'), 'r.o2a');
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]!.help).toBe("did you mean 'step'?");
    expect(stepNames(example.replace('step install_slot: appointment', 'stpe install_slot: appointment'))).toEqual(
      ['internet', 'ont', 'router', 'install_slot', 'install', 'network', 'verify', 'inventory', 'billing', 'notify'],
    );
  });

  it('reports an unterminated block comment and a stray character', () => {
    const r = parse('catalog c 1\nplan P for offering O { step a: x # }\n/* never closed\nplan Q for offering O {}', 'r.o2a');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['O2A0001', 'O2A0003']);
    expect(r.document.declarations).toHaveLength(1);
  });

  it('leaves missing names empty and marked, and a missing condition as MissingExpr', () => {
    const r = parse('catalog c 1\nplan P for offering O { step : x { skip when } step b: y }', 'r.o2a');
    expect(r.diagnostics.length).toBeGreaterThan(0);
    const plan = r.document.declarations[0] as PlanDecl;
    const steps = plan.members as StepDecl[];
    expect(steps[0]!.name).toMatchObject({ name: '', missing: true });
    expect(steps[0]!.properties[0]).toMatchObject({ kind: 'Rule', condition: { kind: 'MissingExpr' } });
    expect(steps[1]!.name.name).toBe('b');
  });

  it('warns once when the catalog binding is missing', () => {
    const r = parse('plan P for offering O { step a: x }', 'w.o2a');
    expect(r.diagnostics).toMatchObject([{ code: 'O2A0007', severity: 'warning' }]);
    expect(r.diagnostics[0]!.help).toContain('catalog telco-core 2026.11');
  });
});
