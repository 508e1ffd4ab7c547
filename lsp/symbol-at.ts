// The name under the cursor: a use (reference) or a declaration, with what it stands for.
// Shared by hover, definition, references and rename.
import type { Range } from '../compiler/diagnostics/index.js';
import type { BoundModel, SymbolDefinition, SymbolReference, SymbolTarget } from '../compiler/resolve/model.js';

export interface SymbolAt {
  target: SymbolTarget;
  /** The name at the cursor. */
  range: Range;
  name: string;
  definition?: SymbolDefinition;
}

/** Identity of a target across references and definitions. */
export function targetKey(t: SymbolTarget): string {
  switch (t.kind) {
    case 'step':
      return `step:${t.plan}:${t.step}`;
    case 'catalog':
      return `catalog:${t.section}:${t.offering ?? ''}:${t.id}`;
    default:
      return `${t.kind}:${t.name}`;
  }
}

function within(range: Range, offset: number): boolean {
  return range.start.offset <= offset && offset <= range.end.offset;
}

export function symbolAt(model: BoundModel, file: string, offset: number): SymbolAt | undefined {
  let best: SymbolReference | undefined;
  for (const r of model.references) {
    if (r.file === file && within(r.range, offset) && (best === undefined || r.range.start.offset > best.range.start.offset)) best = r;
  }
  if (best !== undefined) {
    const key = targetKey(best.target);
    const definition = model.definitions.find((d) => targetKey(d.target) === key);
    const result: SymbolAt = { target: best.target, range: best.range, name: best.name };
    if (definition !== undefined) result.definition = definition;
    return result;
  }
  for (const d of model.definitions) {
    if (d.file === file && within(d.range, offset)) {
      return { target: d.target, range: d.range, name: nameOf(d.target), definition: d };
    }
  }
  return undefined;
}

export function nameOf(t: SymbolTarget): string {
  switch (t.kind) {
    case 'step':
      return t.step;
    case 'catalog':
      return t.id;
    default:
      return t.name;
  }
}

/** Every use of the target, and its declaration, across the model's files. */
export function occurrences(model: BoundModel, target: SymbolTarget): { file: string; range: Range; declaration: boolean }[] {
  const key = targetKey(target);
  const result: { file: string; range: Range; declaration: boolean }[] = [];
  for (const d of model.definitions) if (targetKey(d.target) === key) result.push({ file: d.file, range: d.range, declaration: true });
  for (const r of model.references) if (targetKey(r.target) === key) result.push({ file: r.file, range: r.range, declaration: false });
  result.sort((a, b) => (a.file !== b.file ? (a.file < b.file ? -1 : 1) : a.range.start.offset - b.range.start.offset));
  return result;
}
