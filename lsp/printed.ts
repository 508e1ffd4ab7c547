// Template declarations and step properties as `o2a fmt` prints them, for hover: the formatter's
// own printer (compiler/format) over one node, not a second printer.
import type { Comment, Document, StepProperty, TemplateDecl } from '../compiler/syntax/ast.js';
import type { SyntaxToken } from '../compiler/syntax/index.js';
import { LineMap } from '../compiler/syntax/positions.js';
import { ElementPrinter } from '../compiler/format/print.js';
import { Layout } from '../compiler/format/layout.js';
import { firstIndex } from '../compiler/sorted.js';

let lastLines: LineMap | undefined;

/** One line map per text, kept for the next hover over the same text. */
function lineMapOf(source: string): LineMap {
  if (lastLines?.source !== source) lastLines = new LineMap(source);
  return lastLines;
}

/** The comments starting inside [from, to), by binary search (comments are in source order). */
function commentsWithin(comments: readonly Comment[], from: number, to: number): Comment[] {
  const lo = firstIndex(comments, (c) => c.range.start.offset >= from);
  const result: Comment[] = [];
  for (let i = lo; i < comments.length && comments[i]!.range.start.offset < to; i++) result.push(comments[i]!);
  return result;
}

/** The comment holding `offset`, if any. */
export function commentAt(comments: readonly Comment[], offset: number): Comment | undefined {
  const c = comments[firstIndex(comments, (x) => x.range.end.offset > offset)];
  return c !== undefined && c.range.start.offset <= offset && offset < c.range.end.offset ? c : undefined;
}

/** The `{` opening the template's properties, outside comments: the one token the printer looks for. */
function openBrace(source: string, decl: TemplateDecl, comments: readonly Comment[]): SyntaxToken[] {
  const from = decl.stepKind.range.end.offset;
  const to = decl.properties[0]?.range.start.offset ?? decl.range.end.offset;
  const inside = commentsWithin(comments, from, to);
  for (let i = from; i < to; i++) {
    const c = inside.find((x) => x.range.start.offset <= i && i < x.range.end.offset);
    if (c !== undefined) {
      i = c.range.end.offset - 1;
      continue;
    }
    if (source[i] === '{') {
      const at = lineMapOf(source).range(i, i + 1);
      return [{ type: 'punctuation', text: '{', range: at }];
    }
  }
  return [];
}

/** A document of just this template, for the printer (which prints whole documents). */
function templateDocument(decl: TemplateDecl, comments: Comment[]): Document {
  return { kind: 'Document', file: '', declarations: [decl], comments, range: decl.range };
}

/**
 * The template as `o2a fmt` prints it, comments inside it included (its doc comment, above it,
 * is not). `source` and `comments` are those of the template's file.
 */
export function printedTemplate(decl: TemplateDecl, source: string, comments: readonly Comment[]): string {
  const inside = commentsWithin(comments, decl.range.start.offset, decl.range.end.offset).filter((c) => c.range.end.offset <= decl.range.end.offset);
  const elements = new ElementPrinter(source, openBrace(source, decl, comments)).document(templateDocument(decl, inside));
  return new Layout(source, lineMapOf(source), inside).render(elements).trimEnd();
}

/** One step property as `o2a fmt` prints it (`source`: the text of the property's file). */
export function printedProperty(property: StepProperty, source: string): string {
  return new ElementPrinter(source, []).propertyText(property);
}
