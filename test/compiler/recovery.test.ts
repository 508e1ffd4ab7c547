// Parser recovery keeps going: a mistake costs one error, and later mistakes of the same plan are
// still reported (the parser resynchronises at the next step, property or block).
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileWorkspace } from '../../compiler/index.js';
import { applyEdits } from '../../compiler/diagnostics/offered-fixes.js';
import { catalog, repoRoot } from './helpers.js';

const homeFiber = readFileSync(join(repoRoot, 'plans', 'home-fiber.o2a'), 'utf8');
const templates = readFileSync(join(repoRoot, 'plans', 'templates.o2a'), 'utf8');
const file = 'plans/home-fiber.o2a';

function check(edits: [string, string][]) {
  let text = homeFiber;
  for (const [from, to] of edits) {
    if (!text.includes(from)) throw new Error(`plans/home-fiber.o2a no longer has '${from}'`);
    text = text.replace(from, to);
  }
  const diagnostics = compileWorkspace([{ file, text }, { file: 'plans/templates.o2a', text: templates }], catalog(), { emit: false }).diagnostics.filter((d) => d.file === file);
  return { text, diagnostics, lines: diagnostics.map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${d.code} ${d.message}`) };
}

describe('recovery', () => {
  it('a stray } in the middle of a plan: one error, and the later mistakes of the plan are still found', () => {
    const { lines } = check([['  step network from', '  }\n  step network from'], ['after notify: reject', 'after notfy: reject']]);
    expect(lines).toEqual([
      "26:3 O2A0004 unexpected '}': expected a plan member (step, defaults, billing, cancel, amend, status or completion)",
      "37:11 O2A2020 plan HomeFiber1G has no step 'notfy'",
    ]);
  });

  it('a stray } before a step of a bundle or after the last member still closes what it should', () => {
    expect(check([['  completion all\n}', '  completion all\n}\n}']]).lines).toEqual(["57:1 O2A0004 unexpected '}': expected a plan, bundle or template"]);
  });

  it('a missing comma in an after list: one error with its fix, the step and its properties kept', () => {
    const { text, diagnostics, lines } = check([['after ont, router {', 'after ont router {']]);
    expect(lines).toEqual(["14:44 O2A0004 expected ',' between the step names 'ont' and 'router'"]);
    expect(applyEdits(text, diagnostics[0]!.fixes![0]!.edits)).toBe(homeFiber);
  });

  it('a misspelt step keyword: one error with its fix, the step kept (its references still bind)', () => {
    const { text, diagnostics, lines } = check([['step verify: verification', 'stpe verify: verification']]);
    expect(lines).toEqual(["27:3 O2A0004 expected a plan member, found 'stpe'"]);
    expect(applyEdits(text, diagnostics[0]!.fixes![0]!.edits)).toBe(homeFiber);
    // Right after an `after` list, it is not taken for a step name missing its comma.
    expect(check([['step verify: verification', 'stpe verify: verification'], ['  step inventory', '  step extra: verification after network\n  step inventory']]).lines)
      .toEqual(["27:3 O2A0004 expected a plan member, found 'stpe'"]);
  });

  it('a missing colon in a step head: one error', () => {
    expect(check([['step install: work_order', 'step install work_order']]).lines).toEqual([
      "20:16 O2A0004 expected ':' or 'from' after the step name 'install', found 'work_order'",
    ]);
  });

  it('a misspelt keyword inside a step: one error, the following properties kept', () => {
    const { diagnostics } = check([['compensate cancel_appointment', 'compensat cancel_appointment'], ['work FTTH_INSTALLATION\n    evidence', 'work FTTH_INSTALATION\n    evidence']]);
    const codes = diagnostics.map((d) => d.code);
    expect(codes).toContain('O2A0004');
    // The misspelt work type of the next step is still found.
    expect(codes).toContain('O2A2015');
    // A finding that follows from the misspelt keyword (no compensation) offers no fix.
    expect(diagnostics.filter((d) => d.code === 'O2A4001' && d.fixes !== undefined)).toEqual([]);
  });
});
