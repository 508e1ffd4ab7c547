// Inlay hints after a step header: the timeout and retry a step inherits from its template, the
// plan defaults or the catalog, e.g. `timeout 2m (catalog default)`.
import { InlayHintKind, type InlayHint, type InlayHintParams } from 'vscode-languageserver/node';
import type { BoundStep } from '../compiler/resolve/model.js';
import type { Position } from '../compiler/diagnostics/index.js';
import type { ServerContext } from './context.js';
import { durationAsWritten, sourceInWords } from './policy-words.js';
import type { RetryPolicy } from '../compiler/emit/schema.js';

function retryAsWritten(r: RetryPolicy): string {
  if (r.maxRetries === 0) return 'retry none';
  let text = `retry ${r.maxRetries}`;
  if (r.backoff === 'fixed') text += ` every ${durationAsWritten(r.initialDelayMs)}`;
  if (r.backoff === 'exponential') text += ` exponential ${durationAsWritten(r.initialDelayMs)} max ${durationAsWritten(r.maxDelayMs)}`;
  if (r.jitter) text += ' jitter';
  if (r.sameIdempotencyKey) text += ' same key';
  return text;
}

/** Where the header ends: after the last `after` name, else the kind or template. */
function headerEnd(step: BoundStep): Position {
  const d = step.decl;
  const last = d.after[d.after.length - 1] ?? d.template ?? d.stepKind ?? d.name;
  return last.range.end;
}

export function inlayHints(ctx: ServerContext, params: InlayHintParams): InlayHint[] {
  if (!ctx.settings.inlayHints) return [];
  const ws = ctx.workspace;
  const file = ws.names.fileOf(params.textDocument.uri);
  if (ws.document(file) === undefined) return [];
  const model = ws.analyse(file).compilation.model;
  const hints: InlayHint[] = [];
  const { start, end } = params.range;
  for (const plan of model.plans.values()) {
    if (plan.file !== file) continue;
    for (const step of plan.steps) {
      const at = headerEnd(step);
      if (at.line < start.line || at.line > end.line) continue;
      const inherited: string[] = [];
      const p = step.policies;
      if (p.timeoutMs.source !== 'step' && p.timeoutMs.value > 0) inherited.push(`timeout ${durationAsWritten(p.timeoutMs.value)} (${sourceInWords(step, p.timeoutMs.source)})`);
      if (p.retry.source !== 'step' && p.retry.source !== 'catalog') inherited.push(`${retryAsWritten(p.retry.value)} (${sourceInWords(step, p.retry.source)})`);
      if (inherited.length === 0) continue;
      hints.push({
        position: { line: at.line, character: at.character },
        label: inherited.join('  '),
        kind: InlayHintKind.Parameter,
        paddingLeft: true,
        paddingRight: true,
      });
    }
  }
  return hints;
}
