// Code actions: every fix the compiler attaches to a diagnostic, "fix all <code> in this file",
// and a `source.fixAll.o2a` action that applies every unambiguous fix of the file.
import { CodeActionKind, type CodeAction, type CodeActionParams, type TextEdit, type WorkspaceEdit } from 'vscode-languageserver/node';
import type { Diagnostic, Fix } from '../compiler/diagnostics/index.js';
import { definitionOf } from '../compiler/diagnostics/index.js';
import { combinedFixEdits, isVerifiedSyntaxError } from '../compiler/diagnostics/offered-fixes.js';
import { syntaxFixHolds } from '../compiler/index.js';
import { rangesOverlap, toLspRange } from './convert.js';
import type { ServerContext } from './context.js';
import { toLspDiagnostic } from './diagnostics.js';

export const fixAllKind = `${CodeActionKind.SourceFixAll}.o2a`;

/** Edits of several fixes as one workspace edit; a fix with an edit overlapping one already taken is dropped. */
function combine(ctx: ServerContext, fixes: Fix[]): WorkspaceEdit {
  const changes: Record<string, TextEdit[]> = {};
  for (const e of combinedFixEdits(fixes)) (changes[ctx.workspace.names.uriOf(e.file)] ??= []).push({ range: toLspRange(e.range), newText: e.newText });
  return { changes };
}

function fixable(d: Diagnostic): d is Diagnostic & { fixes: Fix[] } {
  return d.fixes !== undefined && d.fixes.length > 0;
}

export function codeActions(ctx: ServerContext, params: CodeActionParams): CodeAction[] {
  const ws = ctx.workspace;
  const file = ws.names.fileOf(params.textDocument.uri);
  if (ws.document(file) === undefined) return [];
  const all = ws.analyse(file).diagnostics;
  const text = ws.document(file)!.getText();
  // The compiler leaves checking a syntax error's fix to here (see verifySyntaxFixes).
  const inFile = all
    .filter((d) => d.file === file && fixable(d))
    .map((d) => (isVerifiedSyntaxError(d) ? { ...d, fixes: d.fixes!.filter((f) => syntaxFixHolds(text, file, all, f)) } : d))
    .filter(fixable);
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
