// "Did you mean" for a misspelt keyword: only a keyword valid where the word stands (the rest of
// the property before it, when it is closer), never for a keyword in the wrong place or a catalog
// name; and the suggestion, applied, is no longer an error there.
import { describe, it, expect } from 'vitest';
import { parse } from '../../compiler/syntax/index.js';

function wrap(body: string): string {
  return `catalog telco-core 2026.11\nplan P for offering HOME_FIBER_1G {\n  ${body}\n}\n`;
}

function first(body: string) {
  const errors = parse(wrap(body), 'k.o2a').diagnostics.filter((d) => d.severity === 'error');
  return { errors, d: errors[0]! };
}

const suggested: [string, string][] = [
  // The rest of the property is closer than a new property: `every`, not `retry`.
  ['step a: x { retry 3 evry 1m }', 'every'],
  ['step a: x { retry 3 exponential 1s mx 1m }', 'max'],
  ['step a: x { retry 3 jiter }', 'jitter'],
  ['step a: x { retry 3 every 1m jitter sme key }', 'same'],
  ['step a: x { compensate undo requres approval }', 'requires'],
  // `and`, not the property `on`, at the same distance.
  ['step a: x { skip when item.a an item.b }', 'and'],
  ['step a: x { skip when item.a nt in ["a"] }', 'not'],
  ['step a: x { tmeout 5m }', 'timeout'],
  ['billing strts on activation', 'starts'],
  ['billing starts on activaton', 'activation'],
  // A keyword in another case is that keyword.
  ['billing starts on ACTIVATION', 'activation'],
  ['cancel { before a: STOP }', 'stop'],
  ['cancel { befor a: stop }', 'before'],
];

const none: string[] = [
  // A keyword valid for the property but no longer after what was written: nothing to suggest.
  'step a: x { retry none jiter }',
  'step a: x { compensate undo requires approval requres }',
  'step a: x { on no_access hold customer "m" fallot }',
  // A keyword in the wrong place is not a misspelt one.
  'step a: x { on timeout retry }',
  // A catalog name or a step name is not a misspelt keyword.
  'step a: x { SERVICE X }',
  'billing starts on network_activation',
  'step a: x { service_order X }',
];

describe('keyword did-you-mean', () => {
  it.each(suggested)('%s: did you mean %s', (body, word) => {
    const { d } = first(body);
    expect(d.code).toBe('O2A0004');
    expect(d.help).toBe(`did you mean '${word}'?`);
    expect(d.fixes?.[0]?.title).toBe(`Replace with '${word}'`);
    // Applied, the word is valid where it stands: the file has fewer errors and none there.
    const edit = d.fixes![0]!.edits[0]!;
    const source = wrap(body);
    const fixed = source.slice(0, edit.range.start.offset) + edit.newText + source.slice(edit.range.end.offset);
    const after = parse(fixed, 'k.o2a').diagnostics.filter((x) => x.severity === 'error');
    expect(after.length).toBeLessThan(first(body).errors.length);
    expect(after.some((x) => x.range.start.offset === edit.range.start.offset)).toBe(false);
  });

  it.each(none)('%s: no suggestion', (body) => {
    const { errors } = first(body);
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) {
      expect(e.help ?? '').not.toMatch(/did you mean/);
      expect(e.fixes ?? []).toEqual([]);
    }
  });
});
