// Code actions: every fix the compiler attaches to a diagnostic, "fix all <code> in this file",
// and a `source.fixAll.o2a` action that applies every unambiguous fix of the file.
import { CodeActionKind, type CodeAction, type CodeActionParams, type TextEdit, type WorkspaceEdit } from 'vscode-languageserver/node';
import type { Diagnostic, Fix } from '../compiler/diagnostics/index.js';
import { definitionOf } from '../compiler/diagnostics/index.js';
import { rangesOverlap, toLspRange } from './convert.js';
import type { ServerContext } from './context.js';
import { toLspDiagnostic } from './diagnostics.js';

export const fixAllKind = `${CodeActionKind.SourceFixAll}.o2a`;

/** Edits of several fixes as one workspace edit; an edit overlapping one already taken is dropped. */
function combine(ctx: ServerContext, fixes: Fix[]): WorkspaceEdit {
  const taken: { file: string; start: number; end: number }[] = [];
  const changes: Record<string, TextEdit[]> = {};
  for (const fix of fixes) {
    const clash = fix.edits.some((e) => taken.some((t) => t.file === e.file
      && ((e.range.start.offset < t.end && t.start < e.range.end.offset) || (t.start === e.range.start.offset && t.end === e.range.end.offset))));
    if (clash) continue;
    for (const e of fix.edits) {
      taken.push({ file: e.file, start: e.range.start.offset, end: e.range.end.offset });
      (changes[ctx.workspace.names.uriOf(e.file)] ??= []).push({ range: toLspRange(e.range), newText: e.newText });
    }
  }
  return { changes };
}

function fixable(d: Diagnostic): d is Diagnostic & { fixes: Fix[] } {
  return d.fixes !== undefined && d.fixes.length > 0;
}

export function codeActions(ctx: ServerContext, params: CodeActionParams): CodeAction[] {
  const ws = ctx.workspace;
  const file = ws.names.fileOf(params.textDocument.uri);
  if (ws.document(file) === undefined) return [];
  const inFile = ws.analyse(file).diagnostics.filter((d) => d.file === file && fixable(d)) as (Diagnostic & { fixes: Fix[] })[];
  const only = params.context.only;
  const wants = (kind: string) => only === undefined || only.some((k) => kind === k || kind.startsWith(`${k}.`));
  const actions: CodeAction[] = [];

  if (wants(CodeActionKind.QuickFix)) {
    const here = inFile.filter((d) => rangesOverlap(toLspRange(d.range), params.range));
    for (const d of here) {
      for (const fix of d.fixes) {
        actions.push({
          title: fix.title,
          kind: CodeActionKind.QuickFix,
          diagnostics: [toLspDiagnostic(ctx, d)],
          isPreferred: d.fixes.length === 1,
          edit: combine(ctx, [fix]),
        });
      }
    }
    for (const code of new Set(here.map((d) => d.code))) {
      const all = inFile.filter((d) => d.code === code);
      if (all.length < 2) continue;
      const name = definitionOf(code)?.name;
      actions.push({
        title: `Fix all ${code}${name !== undefined ? ` (${name})` : ''} in this file`,
        kind: CodeActionKind.QuickFix,
        diagnostics: all.map((d) => toLspDiagnostic(ctx, d)),
        edit: combine(ctx, all.map((d) => d.fixes[0]!)),
      });
    }
  }

  if (only !== undefined && wants(fixAllKind)) {
    const unambiguous = inFile.filter((d) => d.fixes.length === 1);
    if (unambiguous.length > 0) {
      actions.push({ title: 'Fix all o2a problems with one fix', kind: fixAllKind, edit: combine(ctx, unambiguous.map((d) => d.fixes[0]!)) });
    }
  }
  return actions;
}
