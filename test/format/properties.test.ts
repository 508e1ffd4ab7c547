// Property tests: on generated valid plans with comments between members, formatting is
// idempotent, keeps every comment in order, and does not change the AST.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { format } from '../../compiler/format/index.js';
import { parse } from '../../compiler/syntax/index.js';
import { o2aLexer } from '../../compiler/syntax/tokens.js';

const name = fc.constantFrom('a', 'b', 'install', 'billing', 'network', 'verify', 'step', 'plan', 'x_1', 'service-order', 'on');
const space = fc.constantFrom(' ', '  ', '\n', '\n\n', '\n  \n\n    ', '\t');
const comment = fc.oneof(
  fc.constantFrom('// note', '//', '// with  spaces ', '/// doc line').map((c) => `${c}\n`),
  fc.constantFrom('/* block */', '/* multi\n   line */', '/**/').map((c) => `${c} `),
);
const stringLit = fc.constantFrom('"x"', '"with \\"quotes\\""', '"back\\\\slash"', '""', '"new\\nline"');

const atom = fc.oneof(
  fc.tuple(name, fc.constantFrom('==', '!=', '<', '>=', ' == '), fc.oneof(stringLit, fc.constantFrom('3', '2.5', '10m', 'true', 'false'))).map(([n, op, v]) => `item.${n} ${op} ${v}`),
  name.map((n) => `item.${n}`),
  fc.tuple(name, fc.boolean()).map(([n, neg]) => `item.${n} ${neg ? 'not in' : 'in'} ["a", 1]`),
);
const { expr } = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atom,
    fc.tuple(tie('expr'), tie('expr')).map(([l, r]) => `${l} and ${r}`),
    fc.tuple(tie('expr'), tie('expr')).map(([l, r]) => `${l} or ${r}`),
    tie('expr').map((e) => `not ${e}`),
    tie('expr').map((e) => `(${e})`),
  ),
}));

const property = fc.oneof(
  fc.constantFrom(
    'timeout 10m', 'timeout 1h30m', 'retry 3 every 1m', 'retry none', 'retry 2 exponential 1s max 1m jitter same key', 'owner service-order',
    'service S', 'resource R', 'template N', 'compensate undo requires approval', 'compensate release', 'irreversible', 'evidence a, b',
    'on timeout unknown then reconcile', 'on no_access hold customer "pick \\"a\\" slot"', 'on rejected fallout', 'on lost fallout field-ops', 'on x fail',
  ),
  expr.map((e) => `skip when ${e}`),
  expr.map((e) => `only when ${e}`),
);

function sprinkled<T extends string>(items: fc.Arbitrary<T>, max: number): fc.Arbitrary<string> {
  return fc.array(fc.tuple(fc.option(comment, { nil: undefined }), space, items, space), { maxLength: max }).map((parts) => parts.map(([c, s1, item, s2]) => `${c ?? ''}${s1}${item}${s2}`).join(''));
}

const block = (inner: fc.Arbitrary<string>, max: number) => sprinkled(inner, max).map((body) => `{ ${body} }`);

const step = fc
  .tuple(name, fc.oneof(name.map((k) => `: ${k}`), name.map((t) => ` from ${t}`)), fc.array(name, { maxLength: 3 }), fc.option(block(property, 4), { nil: undefined }))
  .map(([n, origin, after, body]) => `step ${n}${origin}${after.length ? ` after ${after.join(', ')}` : ''}${body ? ` ${body}` : ''}`);

const planMember = fc.oneof(
  { weight: 5, arbitrary: step },
  { weight: 1, arbitrary: block(property, 3).map((b) => `defaults ${b}`) },
  { weight: 1, arbitrary: fc.constantFrom('billing starts on activation, blocks completion', 'billing starts on scheduled date item.start', 'billing starts on first usage, revenue assurance') },
  { weight: 1, arbitrary: block(fc.tuple(fc.constantFrom('before', 'after'), name, fc.constantFrom('stop', 'compensate', 'compensate requires approval', 'reject', 'reject "no"')).map(([p, n, a]) => `${p} ${n}: ${a}`), 3).map((b) => `cancel ${b}`) },
  { weight: 1, arbitrary: fc.tuple(name, block(fc.oneof(name.map((n) => `replan ${n}, a`), name.map((n) => `until ${n}`)), 1)).map(([n, b]) => `amend ${n} ${b}`) },
  { weight: 1, arbitrary: block(fc.tuple(fc.option(name, { nil: undefined }), name, stringLit).map(([s, st, t]) => `${s ? `${s} ` : ''}${st}: ${t}`), 3).map((b) => `status ${b}`) },
  { weight: 1, arbitrary: fc.constantFrom('completion all', 'completion partial allowed') },
);

const declaration = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(name, fc.option(fc.nat(9), { nil: undefined }), sprinkled(planMember, 6)).map(([n, v, body]) => `plan ${n}${v !== undefined ? ` version ${v}` : ''} for offering OFF {${body}}`) },
  { weight: 1, arbitrary: fc.tuple(name, sprinkled(property, 3)).map(([n, body]) => `template ${n}: kind {${body}}`) },
  { weight: 1, arbitrary: fc.tuple(name, sprinkled(fc.tuple(name, name, fc.boolean()).map(([i, p, o]) => `item ${i}: ${p}${o ? ' optional' : ''}`), 3)).map(([n, body]) => `bundle ${n} for offering B {${body}}`) },
);

const file = fc.tuple(fc.option(comment, { nil: undefined }), sprinkled(declaration, 3), fc.option(comment, { nil: undefined })).map(([c, decls, tail]) => `${c ?? ''}catalog telco-core 2026.11\n${decls}${tail ?? ''}`);

function withoutRanges(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutRanges);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== 'range' && k !== 'triggerRange' && k !== 'gatingRange' && k !== 'file')
        .map(([k, v]) => [k, withoutRanges(v)]),
    );
  }
  return value;
}

describe('formatting generated plans', () => {
  it('generates valid plans', () => {
    fc.assert(fc.property(file, (source) => { expect(parse(source, 'g.o2a').diagnostics).toEqual([]); }), { numRuns: 100 });
  });

  it('is idempotent, keeps every comment in order and keeps the AST', () => {
    fc.assert(
      fc.property(file, (source) => {
        const once = format(source, 'g.o2a');
        expect(once.diagnostics).toEqual([]);
        const twice = format(once.text, 'g.o2a');
        expect(twice.text).toBe(once.text);
        const before = parse(source, 'g.o2a').document;
        const after = parse(once.text, 'g.o2a').document;
        expect(after.comments.map((c) => c.text)).toEqual(before.comments.map((c) => c.text));
        expect(withoutRanges(after)).toEqual(withoutRanges(before));
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * `source` with a comment after some of its tokens: every place between two tokens is a place the
 * grammar allows one. `///` comments too: after code (not a doc comment) and on a line of their own
 * (the doc of what follows when that is a declaration, step or item); the AST compared after
 * formatting includes every node's `doc`.
 */
const commentedAnywhere = file.chain((source) => {
  const ends = o2aLexer.tokenizeOffsets(source).tokens.map((t) => t.endOffset! + 1);
  return fc
    .array(fc.tuple(fc.nat(Math.max(0, ends.length - 1)), fc.constantFrom('// line\n', ' /* block */ ', '/* multi\n line */', '//\n', ' /**/', '/// doc\n', ' ///\n', '\n/// own line\n')), { maxLength: 8 })
    .map((inserts) => {
      let out = source;
      for (const [i, text] of [...inserts].sort((a, b) => ends[b[0]]! - ends[a[0]]!)) {
        const at = ends[i];
        if (at !== undefined) out = `${out.slice(0, at)}${text}${out.slice(at)}`;
      }
      return out;
    });
});

describe('formatting with comments between any two tokens', () => {
  it('is idempotent, keeps every comment in order and keeps the AST', () => {
    fc.assert(
      fc.property(commentedAnywhere, (source) => {
        const once = format(source, 'g.o2a');
        expect(once.diagnostics).toEqual([]);
        expect(format(once.text, 'g.o2a').text).toBe(once.text);
        const before = parse(source, 'g.o2a').document;
        const after = parse(once.text, 'g.o2a').document;
        expect(after.comments.map((c) => c.text)).toEqual(before.comments.map((c) => c.text));
        expect(withoutRanges(after)).toEqual(withoutRanges(before));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps CRLF line endings and a byte order mark as found', () => {
    fc.assert(
      fc.property(commentedAnywhere, fc.boolean(), (source, bom) => {
        const lf = format(source, 'g.o2a').text;
        const crlf = format(`${bom ? '\ufeff' : ''}${source.replace(/\n/g, '\r\n')}`, 'g.o2a');
        expect(crlf.text).toBe(`${bom ? '\ufeff' : ''}${lf.replace(/\n/g, '\r\n')}`);
        expect(format(crlf.text, 'g.o2a').changed).toBe(false);
      }),
      { numRuns: 100 },
    );
    // A file with LF endings and a BOM keeps both.
    expect(format('\ufeffcatalog telco-core 2026.11\n', 'g.o2a').text).toBe('\ufeffcatalog telco-core 2026.11\n');
  });
});
