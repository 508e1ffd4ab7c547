// Hover: catalog entries (description, snapshot version), steps with their resolved policies in
// words, templates, plans and bundles, and the explanation of a diagnostic code under the cursor.
import { MarkupKind, type Hover, type HoverParams } from 'vscode-languageserver/node';
import { definitionOf, type Diagnostic } from '../compiler/diagnostics/index.js';
import type { BoundModel, SymbolTarget } from '../compiler/resolve/model.js';
import type { CatalogSnapshot } from '../compiler/catalog/schema.js';
import { toLspRange } from './convert.js';
import type { ServerContext } from './context.js';
import { catalogEntry, entryMarkdown } from './catalog-entries.js';
import { policyLines } from './policy-words.js';
import { symbolAt } from './symbol-at.js';

export function hover(ctx: ServerContext, params: HoverParams): Hover | null {
  const ws = ctx.workspace;
  const file = ws.names.fileOf(params.textDocument.uri);
  const doc = ws.document(file);
  if (doc === undefined) return null;
  const offset = doc.offsetAt(params.position);
  const analysis = ws.analyse(file);
  const model = analysis.compilation.model;
  const sections: string[] = [];
  let range = undefined;

  const codeWord = wordAt(doc.getText(), offset);
  if (codeWord !== undefined && /^O2A\d{4}$/.test(codeWord.word)) {
    const explained = explainCode(codeWord.word);
    if (explained !== undefined) sections.push(explained);
  }

  const at = symbolAt(model, file, offset);
  if (at !== undefined) {
    const text = targetMarkdown(model, analysis.catalog, at.target, at.definition?.doc);
    if (text !== undefined) {
      sections.push(text);
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

function targetMarkdown(model: BoundModel, catalog: CatalogSnapshot | undefined, target: SymbolTarget, doc: string | undefined): string | undefined {
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
      const kind = step.template !== undefined ? `${step.kindName} from template ${step.template.name}` : step.kindName;
      const after = step.dependsOn.length > 0 ? `, after ${step.dependsOn.map((d) => d.name).join(', ')}` : '';
      return withDoc(`**step** \`${step.name}\`: ${kind}${after} (plan ${step.plan})`, policyLines(step));
    }
    case 'template': {
      const t = model.templates.get(target.name);
      return withDoc(`**template** \`${target.name}\`${t !== undefined ? `: ${t.decl.stepKind.name}` : ''}`);
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

export function wordAt(text: string, offset: number): { word: string; start: number; end: number } | undefined {
  const isWord = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_-]/.test(c);
  let start = offset;
  while (start > 0 && isWord(text[start - 1])) start--;
  let end = offset;
  while (end < text.length && isWord(text[end])) end++;
  if (start === end) return undefined;
  return { word: text.slice(start, end), start, end };
}
