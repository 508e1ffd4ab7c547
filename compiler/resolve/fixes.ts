// Machine-applicable edits shared by resolution and the checks.
import type { Fix, Position, Range } from '../diagnostics/diagnostic.js';
import type { StepDecl } from '../syntax/ast.js';

export function replaceFix(title: string, file: string, range: Range, newText: string): Fix {
  return { title, edits: [{ file, range, newText }] };
}

export function insertAt(title: string, file: string, at: Position, newText: string): Fix {
  return { title, edits: [{ file, range: { start: at, end: at }, newText }] };
}

function before(p: Position, chars: number): Position {
  return { line: p.line, character: Math.max(0, p.character - chars), offset: Math.max(0, p.offset - chars) };
}

/**
 * Adds a property to a step: after its last property (same indentation), into an empty body,
 * or as a new body when the step has none.
 */
export function addStepPropertyFix(title: string, file: string, step: StepDecl, text: string | undefined, property: string): Fix {
  const last = step.properties[step.properties.length - 1];
  if (last !== undefined) {
    const sameLine = last.range.start.line === step.name.range.start.line;
    const glue = sameLine ? '  ' : `\n${' '.repeat(last.range.start.character)}`;
    return insertAt(title, file, last.range.end, `${glue}${property}`);
  }
  const end = step.range.end;
  const hasBody = text !== undefined && end.offset > 0 && text[end.offset - 1] === '}';
  if (hasBody) return insertAt(title, file, before(end, 1), ` ${property} `);
  return insertAt(title, file, end, ` { ${property} }`);
}

/** Adds names to a step's `after` list (or an `after` clause when it has none). */
export function addDependencyFix(title: string, file: string, step: StepDecl, names: string[]): Fix {
  const last = step.after[step.after.length - 1];
  if (last !== undefined) return insertAt(title, file, last.range.end, `, ${names.join(', ')}`);
  const anchor = step.template ?? step.stepKind ?? step.name;
  return insertAt(title, file, anchor.range.end, ` after ${names.join(', ')}`);
}
