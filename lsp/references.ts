// Find references: every use of a step, template, plan, bundle or catalog entry across the files
// of the compile unit.
import type { Location, ReferenceParams } from 'vscode-languageserver/node';
import { toLspRange } from './convert.js';
import type { ServerContext } from './context.js';
import { occurrences, symbolAt } from './symbol-at.js';

export function references(ctx: ServerContext, params: ReferenceParams): Location[] {
  const ws = ctx.workspace;
  const file = ws.names.fileOf(params.textDocument.uri);
  const doc = ws.document(file);
  if (doc === undefined) return [];
  const model = ws.analyse(file).compilation.model;
  const at = symbolAt(model, file, doc.offsetAt(params.position));
  if (at === undefined) return [];
  return occurrences(model, at.target)
    .filter((o) => params.context.includeDeclaration || !o.declaration)
    .map((o) => ({ uri: ws.names.uriOf(o.file), range: toLspRange(o.range) }));
}
