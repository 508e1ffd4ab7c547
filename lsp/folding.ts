// Folding ranges: declarations, step bodies, policy blocks, and runs of comments.
import { FoldingRangeKind, type FoldingRange, type FoldingRangeParams } from 'vscode-languageserver/node';
import type { Range } from '../compiler/diagnostics/index.js';
import type { ServerContext } from './context.js';

export function foldingRanges(ctx: ServerContext, params: FoldingRangeParams): FoldingRange[] {
  const file = ctx.workspace.names.fileOf(params.textDocument.uri);
  const document = ctx.workspace.documentOf(file);
  if (document === undefined) return [];
  const result: FoldingRange[] = [];
  // The closing brace stays visible: fold up to the line before it.
  const block = (r: Range) => {
    if (r.end.line > r.start.line) result.push({ startLine: r.start.line, endLine: r.end.line - 1 });
  };
  for (const d of document.declarations) {
    block(d.range);
    if (d.kind === 'Plan') for (const m of d.members) if (m.kind !== 'Billing' && m.kind !== 'Completion') block(m.range);
  }
  let run: { start: number; end: number } | undefined;
  const flush = () => {
    if (run !== undefined && run.end > run.start) result.push({ startLine: run.start, endLine: run.end, kind: FoldingRangeKind.Comment });
    run = undefined;
  };
  for (const c of document.comments) {
    if (c.kind === 'block') {
      flush();
      if (c.range.end.line > c.range.start.line) result.push({ startLine: c.range.start.line, endLine: c.range.end.line, kind: FoldingRangeKind.Comment });
      continue;
    }
    if (run !== undefined && c.range.start.line === run.end + 1) run.end = c.range.start.line;
    else {
      flush();
      run = { start: c.range.start.line, end: c.range.start.line };
    }
  }
  flush();
  return result.sort((a, b) => a.startLine - b.startLine || b.endLine - a.endLine);
}
