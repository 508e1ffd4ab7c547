// Rename steps, templates, plans and bundles: the declaration and every reference, across files.
// Catalog names are the catalog's: they are not renamed from a plan.
import { ResponseError, type PrepareRenameParams, type Range, type RenameParams, type TextEdit, type WorkspaceEdit } from 'vscode-languageserver/node';
import { toLspRange } from './convert.js';
import type { ServerContext } from './context.js';
import { occurrences, symbolAt, type SymbolAt } from './symbol-at.js';

const identifier = /^[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*$/;
const InvalidRequest = -32600;

function renamable(ctx: ServerContext, uri: string, position: { line: number; character: number }): SymbolAt | undefined {
  const ws = ctx.workspace;
  const file = ws.names.fileOf(uri);
  const doc = ws.document(file);
  if (doc === undefined) return undefined;
  const at = symbolAt(ws.analyse(file).compilation.model, file, doc.offsetAt(position));
  if (at === undefined || at.target.kind === 'catalog') return undefined;
  return at;
}

export function prepareRename(ctx: ServerContext, params: PrepareRenameParams): { range: Range; placeholder: string } | null {
  const at = renamable(ctx, params.textDocument.uri, params.position);
  if (at === undefined) return null;
  return { range: toLspRange(at.range), placeholder: at.name };
}

export function rename(ctx: ServerContext, params: RenameParams): WorkspaceEdit {
  const at = renamable(ctx, params.textDocument.uri, params.position);
  if (at === undefined) throw new ResponseError(InvalidRequest, 'only steps, templates, plans and bundles can be renamed');
  if (!identifier.test(params.newName)) throw new ResponseError(InvalidRequest, `'${params.newName}' is not a valid name`);
  const ws = ctx.workspace;
  const model = ws.analyse(ws.names.fileOf(params.textDocument.uri)).compilation.model;
  const t = at.target;
  const taken =
    t.kind === 'step' ? model.plans.get(t.plan)?.stepByName.has(params.newName) === true
    : t.kind === 'template' ? model.templates.has(params.newName)
    : model.plans.has(params.newName) || model.bundles.has(params.newName);
  if (taken && params.newName !== at.name) throw new ResponseError(InvalidRequest, `a ${t.kind === 'bundle' ? 'plan or bundle' : t.kind} named '${params.newName}' already exists`);
  const changes: Record<string, TextEdit[]> = {};
  for (const o of occurrences(model, t)) {
    const uri = ws.names.uriOf(o.file);
    (changes[uri] ??= []).push({ range: toLspRange(o.range), newText: params.newName });
  }
  return { changes };
}
