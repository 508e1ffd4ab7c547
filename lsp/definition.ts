// Go to definition: a step, template, plan or bundle name goes to its declaration; a catalog name
// goes to its entry in the snapshot's catalog.json.
import type { DefinitionParams, Location } from 'vscode-languageserver/node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SymbolTarget } from '../compiler/resolve/model.js';
import { toLspRange } from './convert.js';
import type { ServerContext } from './context.js';
import { symbolAt } from './symbol-at.js';

export function definition(ctx: ServerContext, params: DefinitionParams): Location | null {
  const ws = ctx.workspace;
  const file = ws.names.fileOf(params.textDocument.uri);
  const doc = ws.document(file);
  if (doc === undefined) return null;
  const analysis = ws.analyse(file);
  const at = symbolAt(analysis.compilation.model, file, doc.offsetAt(params.position));
  if (at === undefined) return null;
  if (at.definition !== undefined) return { uri: ws.names.uriOf(at.definition.file), range: toLspRange(at.definition.range) };
  if (at.target.kind === 'catalog' && analysis.catalogPath !== undefined) return catalogLocation(ctx, analysis.catalogPath, at.target);
  return null;
}

/** The `"id": "<id>"` (or `"name"` for a characteristic) line of the entry in catalog.json. */
function catalogLocation(ctx: ServerContext, snapshotDir: string, target: Extract<SymbolTarget, { kind: 'catalog' }>): Location | null {
  const file = `${snapshotDir}/catalog.json`;
  let text: string;
  try {
    text = readFileSync(join(ctx.workspace.names.pathOf(file)), 'utf8');
  } catch {
    return null;
  }
  const key = target.section === 'characteristic' ? 'name' : 'id';
  const escaped = target.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let from = 0;
  if (target.section === 'characteristic' && target.offering !== undefined) {
    const o = new RegExp(`"id"\\s*:\\s*"${target.offering.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`).exec(text);
    if (o !== null) from = o.index;
  }
  const re = new RegExp(`"${key}"\\s*:\\s*"(${escaped})"`, 'g');
  re.lastIndex = from;
  const m = re.exec(text);
  if (m === null) return null;
  const start = m.index + m[0].lastIndexOf(`"${target.id}"`) + 1;
  const before = text.slice(0, start);
  const line = before.split('\n').length - 1;
  const character = start - (before.lastIndexOf('\n') + 1);
  return {
    uri: ctx.workspace.names.uriOf(file),
    range: { start: { line, character }, end: { line, character: character + target.id.length } },
  };
}
