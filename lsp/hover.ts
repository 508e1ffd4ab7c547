// Hover: catalog entries (description, key facts, snapshot version), steps with their effective
// policies in words, templates as `o2a fmt` prints them with the steps that use them, plans and
// bundles, and the explanation of a diagnostic code under the cursor. Everything comes from the
// analysis the server holds for the unit (computed once per change, shared with diagnostics).
import { MarkupKind, type Hover, type HoverParams } from 'vscode-languageserver/node';
import { definitionOf, type Diagnostic } from '../compiler/diagnostics/index.js';
import type { BoundModel, BoundStep, BoundTemplate, Sourced, SymbolTarget } from '../compiler/resolve/model.js';
import type { CatalogSnapshot } from '../compiler/catalog/schema.js';
import type { StepProperty } from '../compiler/syntax/ast.js';
import { toLspRange } from './convert.js';
import type { ServerContext } from './context.js';
import type { Workspace } from './workspace.js';
import { catalogEntry, entryMarkdown } from './catalog-entries.js';
import { policyLines, sourceInWords } from './policy-words.js';
import { commentAt, printedProperty, printedTemplate } from './printed.js';
import { symbolAt } from './symbol-at.js';

export function hover(ctx: ServerContext, params: HoverParams): Hover | null {
  const ws = ctx.workspace;
  const file = ws.names.fileOf(params.textDocument.uri);
  const doc = ws.document(file);
  if (doc === undefined) return null;
  const text = doc.getText();
  const offset = doc.offsetAt(params.position);
  const word = wordAt(text, offset);
  const isCode = word !== undefined && /^O2A\d{4}$/.test(word.word);
  // Whitespace: nothing (not even a diagnostic whose range spans it).
  if (word === undefined && (offset >= text.length || /\s/.test(text[offset]!))) return null;
  const analysis = ws.analyse(file);
  // A comment: nothing, but a diagnostic code written in it (`// see O2A2014`).
  const comments = analysis.compilation.documents.get(file)?.comments ?? [];
  if (commentAt(comments, offset) !== undefined && !isCode) return null;
  const model = analysis.compilation.model;
  const sections: string[] = [];
  let range = undefined;

  if (isCode) {
    const explained = explainCode(word.word);
    if (explained !== undefined) sections.push(explained);
  }

  const at = symbolAt(model, file, offset);
  if (at !== undefined) {
    const markdown = targetMarkdown(ws, file, model, analysis.catalog, at.target, at.definition?.doc);
    if (markdown !== undefined) {
      sections.push(markdown);
      range = toLspRange(at.range);
    }
  }

  for (const d of diagnosticsAt(analysis.diagnostics, file, offset)) {
    const explained = explainCode(d.code, d);
    if (explained !== undefined && !sections.includes(explained)) sections.push(explained);
  }
  if (sections.length === 0) return null;
  const hover: Hover = { contents: { kind: MarkupKind.Markdown, value: sections.join('\n\n---\n\n') } };
  if (range !== undefined) hover.range = range;
  return hover;
}

function diagnosticsAt(diagnostics: Diagnostic[], file: string, offset: number): Diagnostic[] {
  return diagnostics.filter((d) => d.file === file && d.range.start.offset <= offset && offset <= d.range.end.offset);
}

export function explainCode(code: string, d?: Diagnostic): string | undefined {
  const def = definitionOf(code);
  if (def === undefined) return undefined;
  const lines = [`**${def.code}** \`${def.name}\` (${def.severity}): ${def.summary}`, '', def.explanation];
  if (d?.help !== undefined) lines.push('', `_help:_ ${d.help}`);
  lines.push('', `Run \`o2a explain ${def.code}\` for an example.`);
  return lines.join('\n');
}

function targetMarkdown(ws: Workspace, file: string, model: BoundModel, catalog: CatalogSnapshot | undefined, target: SymbolTarget, doc: string | undefined): string | undefined {
  const withDoc = (head: string, body: string[] = []) => [head, ...(doc !== undefined ? ['', doc] : []), ...(body.length > 0 ? ['', ...body] : [])].join('\n');
  switch (target.kind) {
    case 'catalog': {
      if (catalog === undefined) return undefined;
      const entry = catalogEntry(catalog, target.section, target.id, target.offering);
      return entry !== undefined ? entryMarkdown(catalog, target.section, entry) : undefined;
    }
    case 'step': {
      const step = model.plans.get(target.plan)?.stepByName.get(target.step);
      if (step === undefined) return withDoc(`**step** \`${target.step}\` of plan ${target.plan}`);
      // A kind that does not resolve is said so: its catalog defaults are unknown too.
      const kindName = step.kindName === '' ? 'unknown kind' : step.kind === undefined ? `${step.kindName} (unknown step kind)` : step.kindName;
      const kind = step.template !== undefined ? `${kindName} from template ${step.template.name}` : kindName;
      const after = step.dependsOn.length > 0 ? `, after ${step.dependsOn.map((d) => d.name).join(', ')}` : '';
      return withDoc(`**step** \`${step.name}\`: ${kind}${after} (plan ${step.plan})`, stepLines(ws, step, catalog !== undefined));
    }
    case 'template': {
      const t = model.templates.get(target.name);
      if (t === undefined) return withDoc(`**template** \`${target.name}\``);
      return withDoc(`**template** \`${t.name}\`: ${t.decl.stepKind.name}`, templateBody(ws, model, t, file));
    }
    case 'plan': {
      const p = model.plans.get(target.name);
      const facts = p !== undefined ? [`- offering \`${p.decl.offering.name}\`${p.offering?.name !== undefined ? ` (${p.offering.name})` : ''}`, `- ${p.steps.length} steps`] : [];
      return withDoc(`**plan** \`${target.name}\`${p !== undefined ? ` version ${p.version}` : ''}`, facts);
    }
    case 'bundle': {
      const b = model.bundles.get(target.name);
      const facts = b !== undefined ? [`- offering \`${b.decl.offering.name}\``, `- items: ${b.items.map((i) => `${i.name} (${i.planIdent.name}${i.optional ? ', optional' : ''})`).join(', ')}`] : [];
      return withDoc(`**bundle** \`${target.name}\`${b !== undefined ? ` version ${b.version}` : ''}`, facts);
    }
  }
}

/** The text of a file as the analysis saw it. */
function sourceOf(ws: Workspace, file: string | undefined): string {
  return file !== undefined ? (ws.textOf(file) ?? '') : '';
}

/** A property where the step got it from, as `o2a fmt` prints it: `skip when item.x == "y"`. */
function printed(ws: Workspace, p: Sourced<StepProperty>): string | undefined {
  return tryPrint(() => printedProperty(p.value, sourceOf(ws, p.file)));
}

/** The formatter expects a tree that parsed; a half-typed one may not print: then it is left out. */
function tryPrint(print: () => string): string | undefined {
  try {
    return print();
  } catch {
    return undefined;
  }
}

/**
 * A step's effective properties, as the compiler resolved them (step > template > plan defaults >
 * catalog): its catalog entry, owner, timeout and what a timeout does, retry, compensation,
 * outcomes, evidence and rule, each with where it came from. When the kind does not resolve, the
 * catalog's part is said to be unknown, never shown as a default (see `policyLines`).
 */
function stepLines(ws: Workspace, step: BoundStep, catalogLoaded: boolean): string[] {
  const lines: string[] = [];
  const ref = step.catalogRef;
  if (ref !== undefined && !ref.value.ref.missing) {
    lines.push(`- **${ref.value.key}** \`${ref.value.ref.name}\` _(${sourceInWords(step, ref.source)})_`);
  }
  lines.push(...policyLines(step, catalogLoaded));
  const rule = step.rule !== undefined ? printed(ws, step.rule) : undefined;
  if (step.rule !== undefined && rule !== undefined) lines.push(`- **rule** \`${rule}\` _(${sourceInWords(step, step.rule.source)})_`);
  return lines;
}

/** The steps of each model that take a template, by template name: built once per analysis. */
const usesByModel = new WeakMap<BoundModel, Map<string, BoundStep[]>>();

function stepsUsing(model: BoundModel, template: string): BoundStep[] {
  let uses = usesByModel.get(model);
  if (uses === undefined) {
    uses = new Map();
    for (const plan of model.plans.values()) {
      for (const step of plan.steps) {
        if (step.template === undefined) continue;
        const list = uses.get(step.template.name);
        if (list === undefined) uses.set(step.template.name, [step]);
        else list.push(step);
      }
    }
    usesByModel.set(model, uses);
  }
  return uses.get(template) ?? [];
}

/** Steps named in a template hover; the rest are counted. */
const listedUses = 10;

/** `file`: the hovered file, whose steps are named first. */
function templateBody(ws: Workspace, model: BoundModel, t: BoundTemplate, file: string): string[] {
  const source = ws.textOf(t.file);
  const comments = model.documents.get(t.file)?.comments ?? [];
  const body: string[] = [];
  const printed = source !== undefined ? tryPrint(() => printedTemplate(t.decl, source, comments)) : undefined;
  if (printed !== undefined) body.push('```o2a', printed, '```', '');
  const all = stepsUsing(model, t.name);
  const here = all.filter((s) => s.file === file);
  const uses = here.length === all.length || here.length === 0 ? all : [...here, ...all.filter((s) => s.file !== file)];
  if (uses.length === 0) {
    body.push('No step uses it.');
    return body;
  }
  // `a`, `b` (plan P); `c` (plan Q), and N more
  const groups: string[] = [];
  let plan: string | undefined;
  let names: string[] = [];
  const flush = () => {
    if (plan !== undefined && names.length > 0) groups.push(`${names.join(', ')} (plan ${plan})`);
    names = [];
  };
  for (const step of uses.slice(0, listedUses)) {
    if (step.plan !== plan) {
      flush();
      plan = step.plan;
    }
    names.push(`\`${step.name}\``);
  }
  flush();
  const more = uses.length > listedUses ? `, and ${uses.length - listedUses} more` : '';
  const inFile = here.length > 0 && here.length < uses.length ? ` (${here.length} in this file)` : '';
  body.push(`Used by ${uses.length} ${uses.length === 1 ? 'step' : 'steps'}${inFile}: ${groups.join('; ')}${more}`);
  return body;
}

export function wordAt(text: string, offset: number): { word: string; start: number; end: number } | undefined {
  const isWord = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_-]/.test(c);
  let start = offset;
  while (start > 0 && isWord(text[start - 1])) start--;
  let end = offset;
  while (end < text.length && isWord(text[end])) end++;
  if (start === end) return undefined;
  return { word: text.slice(start, end), start, end };
}
