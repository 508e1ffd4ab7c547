// Publishes the compiler's diagnostics, unchanged in code, range and message, for every file of
// the compile units of the open documents (and for the catalog snapshot they use).
import { DiagnosticSeverity, type Diagnostic as LspDiagnostic, type DiagnosticRelatedInformation } from 'vscode-languageserver/node';
import type { Diagnostic, Severity } from '../compiler/diagnostics/index.js';
import { toLspRange } from './convert.js';
import type { ServerContext } from './context.js';

const severity: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
};

export function toLspDiagnostic(ctx: ServerContext, d: Diagnostic): LspDiagnostic {
  const result: LspDiagnostic = {
    range: toLspRange(d.range),
    severity: severity[d.severity],
    code: d.code,
    source: 'o2a',
    message: d.message,
  };
  const related: DiagnosticRelatedInformation[] = [];
  // The help line rides along as related information, so the message itself stays the CLI's.
  if (d.help !== undefined) related.push({ location: { uri: ctx.workspace.names.uriOf(d.file), range: result.range }, message: `help: ${d.help}` });
  for (const r of d.related ?? []) related.push({ location: { uri: ctx.workspace.names.uriOf(r.file), range: toLspRange(r.range) }, message: r.message });
  if (related.length > 0) result.relatedInformation = related;
  return result;
}

/**
 * How long the first edit after a pause waits before its check: none. The check still runs behind
 * what is already queued (a timer, then `setImmediate`), so a request that came with the edit
 * (completion after typing `.`) is answered first; one arriving a moment later waits for the
 * check. Measured (`npm run bench -- lsp`, quiet machine, 2026-12-04): with 10 ms, typing a new
 * step 20.9 / 29.8 ms (median / p95) and completion right after an edit 3.7 / 5.9 ms; with 0,
 * 10.8 / 25.8 ms and 3.9 / 8.6 ms (max 13.9 ms, under the 15 ms completion target).
 */
const leadingDelayMs = 0;

interface UnitState {
  timer?: NodeJS.Timeout;
  lastEditAt: number;
  /** Files that got a non-empty publication last time, so that fixed files are cleared. */
  published: Set<string>;
}

/** The last publications' timings (for `o2a/stats`): from the last edit, and of the check alone. */
export const publishTimings: { sinceEditMs: number[]; checkMs: number[]; checkCpuMs: number[] } = { sinceEditMs: [], checkMs: [], checkCpuMs: [] };

function record(list: number[], ms: number): void {
  list.push(Math.round(ms * 100) / 100);
  if (list.length > 500) list.splice(0, list.length - 500);
}

export class DiagnosticsPublisher {
  private readonly units = new Map<string, UnitState>();

  constructor(private readonly ctx: ServerContext) {}

  private state(unit: string): UnitState {
    let s = this.units.get(unit);
    if (s === undefined) {
      s = { lastEditAt: 0, published: new Set() };
      this.units.set(unit, s);
    }
    return s;
  }

  /**
   * Debounced: an edit after a quiet period is checked almost at once (`leadingDelayMs`), a burst
   * of edits is checked once, `diagnosticsDelayMs` after its last edit.
   */
  changed(file: string): void {
    const unit = this.ctx.workspace.unitOf(file);
    const s = this.state(unit);
    const now = performance.now();
    const delay = this.ctx.settings.diagnosticsDelayMs;
    const quiet = s.timer === undefined && now - s.lastEditAt >= delay;
    s.lastEditAt = now;
    if (s.timer !== undefined) clearTimeout(s.timer);
    s.timer = setTimeout(() => {
      // Behind what is already queued, e.g. the write of a completion answered meanwhile.
      setImmediate(() => {
        if (s.timer !== timer) return;
        s.timer = undefined;
        this.publishUnit(file);
      });
    }, quiet ? Math.min(delay, leadingDelayMs) : delay);
    const timer = s.timer;
  }

  /** Re-checks every unit with an open document now (a catalog or a file on disk changed). */
  recheckAll(): void {
    const seen = new Set<string>();
    for (const file of this.ctx.workspace.openFiles()) {
      const unit = this.ctx.workspace.unitOf(file);
      if (seen.has(unit)) continue;
      seen.add(unit);
      this.publishUnit(file);
    }
  }

  publishUnit(file: string): void {
    const ws = this.ctx.workspace;
    const unit = ws.unitOf(file);
    const s = this.state(unit);
    if (s.timer !== undefined) {
      clearTimeout(s.timer);
      s.timer = undefined;
    }
    try {
      const started = performance.now();
      const cpu = process.cpuUsage();
      const analysis = ws.analyse(file);
      record(publishTimings.checkMs, performance.now() - started);
      const used = process.cpuUsage(cpu);
      record(publishTimings.checkCpuMs, (used.user + used.system) / 1000);
      const byFile = new Map<string, LspDiagnostic[]>();
      for (const source of analysis.sources) byFile.set(source.file, []);
      if (analysis.catalogPath !== undefined) {
        byFile.set(analysis.catalogPath.endsWith('.json') ? analysis.catalogPath : `${analysis.catalogPath}/catalog.json`, []);
      }
      for (const d of analysis.diagnostics) {
        let list = byFile.get(d.file);
        if (list === undefined) byFile.set(d.file, (list = []));
        list.push(toLspDiagnostic(this.ctx, d));
      }
      for (const old of s.published) if (!byFile.has(old)) byFile.set(old, []);
      s.published = new Set();
      for (const [f, diagnostics] of byFile) {
        if (diagnostics.length > 0) s.published.add(f);
        const doc = ws.document(f);
        void this.ctx.connection.sendDiagnostics(
          doc !== undefined ? { uri: ws.names.uriOf(f), version: doc.version, diagnostics } : { uri: ws.names.uriOf(f), diagnostics },
        );
      }
      if (s.lastEditAt > 0) record(publishTimings.sinceEditMs, performance.now() - s.lastEditAt);
    } catch (error) {
      this.ctx.connection.console.error(`o2a: checking ${unit} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  }

  /** A document closed: clear what was shown for it unless its unit is still open elsewhere. */
  closed(file: string): void {
    const ws = this.ctx.workspace;
    const unit = ws.unitOf(file);
    if (ws.openFiles().some((f) => ws.unitOf(f) === unit)) {
      this.publishUnit(ws.openFiles().find((f) => ws.unitOf(f) === unit)!);
      return;
    }
    const s = this.state(unit);
    if (s.timer !== undefined) clearTimeout(s.timer);
    for (const f of s.published) void this.ctx.connection.sendDiagnostics({ uri: ws.names.uriOf(f), diagnostics: [] });
    this.units.delete(unit);
  }
}
