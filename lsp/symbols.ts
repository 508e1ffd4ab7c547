// Document symbols (plans > steps and policies, bundles > items, templates) and workspace symbols.
import { SymbolKind, type DocumentSymbol, type DocumentSymbolParams, type WorkspaceSymbol, type WorkspaceSymbolParams } from 'vscode-languageserver/node';
import type { Declaration, Document, PlanMember } from '../compiler/syntax/ast.js';
import { toLspRange } from './convert.js';
import type { ServerContext } from './context.js';

function symbol(name: string, detail: string | undefined, kind: SymbolKind, range: DocumentSymbol['range'], selectionRange: DocumentSymbol['range'], children?: DocumentSymbol[]): DocumentSymbol {
  const s: DocumentSymbol = { name: name === '' ? '?' : name, kind, range, selectionRange };
  if (detail !== undefined) s.detail = detail;
  if (children !== undefined) s.children = children;
  return s;
}

function memberSymbol(m: PlanMember): DocumentSymbol {
  const range = toLspRange(m.range);
  switch (m.kind) {
    case 'Step':
      return symbol(m.name.name, m.template !== undefined ? `from ${m.template.name}` : m.stepKind?.name, SymbolKind.Function, range, toLspRange(m.name.range));
    case 'Defaults':
      return symbol('defaults', undefined, SymbolKind.Property, range, range);
    case 'Billing':
      return symbol('billing', `starts on ${m.trigger.replace('_', ' ')}`, SymbolKind.Property, range, range);
    case 'Cancel':
      return symbol('cancel', `${m.rules.length} rules`, SymbolKind.Event, range, range);
    case 'Amend':
      return symbol(`amend ${m.name.name}`, undefined, SymbolKind.Event, range, toLspRange(m.name.range));
    case 'Status':
      return symbol('status', `${m.entries.length} entries`, SymbolKind.EnumMember, range, range);
    case 'Completion':
      return symbol('completion', m.mode.replace('_', ' '), SymbolKind.Property, range, range);
  }
}

function declarationSymbol(d: Declaration): DocumentSymbol {
  const range = toLspRange(d.range);
  const nameRange = toLspRange(d.name.range);
  switch (d.kind) {
    case 'Plan':
      return symbol(d.name.name, `plan for ${d.offering.name}`, SymbolKind.Class, range, nameRange, d.members.map(memberSymbol));
    case 'Bundle':
      return symbol(d.name.name, `bundle for ${d.offering.name}`, SymbolKind.Module, range, nameRange, d.members.map((m) =>
        m.kind === 'Item'
          ? symbol(m.name.name, m.plan.name, SymbolKind.Field, toLspRange(m.range), toLspRange(m.name.range))
          : memberSymbol(m)));
    case 'Template':
      return symbol(d.name.name, `template: ${d.stepKind.name}`, SymbolKind.Interface, range, nameRange);
  }
}

export function documentSymbols(ctx: ServerContext, params: DocumentSymbolParams): DocumentSymbol[] {
  const file = ctx.workspace.names.fileOf(params.textDocument.uri);
  const document = ctx.workspace.documentOf(file);
  return document === undefined ? [] : document.declarations.filter((d) => d.name.name !== '' || d.kind === 'Plan').map(declarationSymbol);
}

function matches(name: string, query: string): boolean {
  // Subsequence match, case-insensitive, as editors filter symbols.
  const n = name.toLowerCase();
  let i = 0;
  for (const c of query.toLowerCase()) {
    i = n.indexOf(c, i);
    if (i < 0) return false;
    i++;
  }
  return true;
}

export function workspaceSymbols(ctx: ServerContext, params: WorkspaceSymbolParams): WorkspaceSymbol[] {
  const ws = ctx.workspace;
  const result: WorkspaceSymbol[] = [];
  const add = (name: string, kind: SymbolKind, file: string, range: DocumentSymbol['range'], container?: string) => {
    if (name === '' || !matches(name, params.query)) return;
    const s: WorkspaceSymbol = { name, kind, location: { uri: ws.names.uriOf(file), range } };
    if (container !== undefined) s.containerName = container;
    result.push(s);
  };
  for (const unit of ws.allUnits()) {
    for (const file of ws.unitFiles(unit)) {
      const document: Document | undefined = ws.documentOf(file);
      if (document === undefined) continue;
      for (const d of document.declarations) {
        const kind = d.kind === 'Plan' ? SymbolKind.Class : d.kind === 'Bundle' ? SymbolKind.Module : SymbolKind.Interface;
        add(d.name.name, kind, file, toLspRange(d.name.range));
        if (d.kind === 'Plan') for (const m of d.members) if (m.kind === 'Step') add(m.name.name, SymbolKind.Function, file, toLspRange(m.name.range), d.name.name);
      }
    }
  }
  return result.slice(0, 1000);
}
