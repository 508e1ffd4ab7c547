// Document and range formatting with `o2a fmt`'s formatter. A file whose structure does not parse
// is left as it is. Range formatting formats the whole document and keeps the edits that touch
// the range.
import type { DocumentFormattingParams, DocumentRangeFormattingParams, TextEdit } from 'vscode-languageserver/node';
import { minimalEdits, rangesOverlap } from './convert.js';
import type { ServerContext } from './context.js';

type Formatter = typeof import('../compiler/format/index.js');
let formatter: Promise<Formatter> | undefined;

async function formattedEdits(ctx: ServerContext, uri: string): Promise<TextEdit[]> {
  // Loaded on first use: a server that never formats does not pay for the formatter.
  const { format } = await (formatter ??= import('../compiler/format/index.js'));
  const file = ctx.workspace.names.fileOf(uri);
  const doc = ctx.workspace.document(file);
  if (doc === undefined) return [];
  const text = doc.getText();
  const result = format(text, file);
  if (!result.laidOut || !result.changed) return [];
  return minimalEdits(text, result.text);
}

export function formatDocument(ctx: ServerContext, params: DocumentFormattingParams): Promise<TextEdit[]> {
  return formattedEdits(ctx, params.textDocument.uri);
}

export async function formatRange(ctx: ServerContext, params: DocumentRangeFormattingParams): Promise<TextEdit[]> {
  return (await formattedEdits(ctx, params.textDocument.uri)).filter((e) => rangesOverlap(e.range, params.range));
}
