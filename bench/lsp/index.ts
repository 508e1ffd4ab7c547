// Language server benchmark: a generated 5,000-line plan, the real server over stdio, and
// - diagnostics latency: a one-character edit (incremental didChange) until publishDiagnostics
//   for that version arrives, 200 edits, with the default settings (150 ms debounce):
//   `paced`: edits 200 ms apart, as a person types a character and pauses (the debounce lets the
//   first edit after a pause through after 10 ms); `burst`: the next edit as soon as the last
//   one's diagnostics arrived (debounced only when it comes within 150 ms of the previous edit,
//   which a check slower than 150 ms never allows);
// - completion latency: `resource <|>` completion, right after each paced edit's diagnostics
//   (`warm`) and right after an edit before its check ran (`afterEdit`);
// - typing: a new step typed character by character between two steps in the middle of the file,
//   a keystroke every 200 ms (as `paced`), each keystroke's edit until its diagnostics (most
//   keystrokes leave the text not parsing);
// - the server's resident memory at the end (`o2a/stats`).
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeWorkspace, startSession, type LspSession } from '../../test/lsp/harness.js';
import { benchTemplates, generatedLargePlan } from './generate.js';

export interface LatencyFigures {
  samples: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
}

export interface LspBenchResult {
  lines: number;
  debounceMs: number;
  diagnostics: { paced: LatencyFigures; burst: LatencyFigures };
  completion: { warm: LatencyFigures; afterEdit: LatencyFigures; items: number };
  openMs: number;
  rssMb: number;
  heapUsedMb: number;
  /** The server's own view of the paced edits: from the edit's arrival to the diagnostics sent, the check alone (wall and CPU time). */
  server: { sinceEdit: LatencyFigures; check: LatencyFigures; checkCpu: LatencyFigures; reparses: { step: number; gap: number; whole: number } };
  /** A new step typed a character at a time: edit -> its diagnostics, the server's check alone, and how each keystroke was re-parsed. */
  typing: { keystrokes: number; diagnostics: LatencyFigures; check: LatencyFigures; reparses: { step: number; gap: number; whole: number } };
}

/** What is typed, a character at a time, in the typing phase. */
export const typedStep = '  step extra: resource_reservation after res_10 { resource ONT_GPON  timeout 5m  compensate release }\n';

interface StatsReply {
  rssBytes: number;
  heapUsedBytes: number;
  reparses: { step: number; gap: number; whole: number };
  publish: { sinceEditMs: number[]; checkMs: number[]; checkCpuMs: number[] };
}

function figures(samples: number[]): LatencyFigures {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  const round = (x: number) => Math.round(x * 10) / 10;
  return { samples: s.length, medianMs: round(at(0.5)), p95Ms: round(at(0.95)), maxMs: round(s[s.length - 1]!) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runLspBench(options: { lines?: number; edits?: number; burstEdits?: number } = {}): Promise<LspBenchResult> {
  const lines = options.lines ?? 5000;
  const edits = options.edits ?? 200;
  const burstEdits = options.burstEdits ?? 50;
  const text = generatedLargePlan(lines);
  const root = makeWorkspace({ files: { 'plans/templates.o2a': benchTemplates, 'plans/large.o2a': text } });
  const s: LspSession = await startSession({ root });
  try {
    const docLines = text.split('\n');
    const uri = s.uri('plans/large.o2a');
    let t0 = performance.now();
    await s.open('plans/large.o2a', text);
    await s.diagnostics(uri, 1);
    const openMs = performance.now() - t0;

    // The edit: a timeout's digit, back and forth, on lines spread through the file.
    const timeoutLines = docLines.map((l, i) => (/^ {4}timeout \d+m$/.test(l) ? i : -1)).filter((i) => i >= 0);
    const resourceLines = docLines.map((l, i) => (/^ {4}resource /.test(l) ? i : -1)).filter((i) => i >= 0);
    let version = 1;
    const current = new Map<number, string>();
    const edit = async (k: number) => {
      const line = timeoutLines[(k * 37) % timeoutLines.length]!;
      const before = current.get(line) ?? docLines[line]!.charAt(12);
      const next = before === '9' ? '8' : '9';
      current.set(line, next);
      version++;
      await s.connection.sendNotification('textDocument/didChange', {
        textDocument: { uri, version },
        contentChanges: [{ range: { start: { line, character: 12 }, end: { line, character: 13 } }, text: next }],
      });
      return version;
    };
    const complete = async (k: number) => {
      const line = resourceLines[(k * 53) % resourceLines.length]!;
      const t = performance.now();
      const list = await s.request<{ items: unknown[] }>('textDocument/completion', {
        textDocument: { uri },
        position: { line, character: '    resource '.length },
        context: { triggerKind: 1 },
      });
      return { ms: performance.now() - t, items: list.items.length };
    };

    const paced: number[] = [];
    const warm: number[] = [];
    const afterEdit: number[] = [];
    let items = 0;
    for (let k = 0; k < edits; k++) {
      await sleep(200);
      t0 = performance.now();
      const v = await edit(k);
      await s.diagnostics(uri, v);
      paced.push(performance.now() - t0);
      const c = await complete(k);
      warm.push(c.ms);
      items = c.items;
    }
    const afterPaced = await s.request<StatsReply>('o2a/stats', {});
    for (let k = 0; k < edits; k++) {
      await sleep(200);
      const v = await edit(k + edits);
      afterEdit.push((await complete(k)).ms);
      await s.diagnostics(uri, v);
    }
    // Typing a new step between two steps in the middle of the file, a character at a time.
    const typingAt = docLines.findIndex((l, i) => i > docLines.length / 2 && /^ {2}\/\/\/ Reservation \d+\.$/.test(l));
    const beforeTyping = await s.request<StatsReply>('o2a/stats', {});
    const typing: number[] = [];
    let line = typingAt;
    let character = 0;
    for (const c of typedStep) {
      await sleep(200);
      version++;
      t0 = performance.now();
      await s.connection.sendNotification('textDocument/didChange', {
        textDocument: { uri, version },
        contentChanges: [{ range: { start: { line, character }, end: { line, character } }, text: c }],
      });
      await s.diagnostics(uri, version);
      typing.push(performance.now() - t0);
      if (c === '\n') {
        line++;
        character = 0;
      } else character++;
    }
    const afterTyping = await s.request<StatsReply>('o2a/stats', {});
    const typed = typedStep.length;

    const burst: number[] = [];
    for (let k = 0; k < burstEdits; k++) {
      t0 = performance.now();
      const v = await edit(k + 2 * edits);
      await s.diagnostics(uri, v);
      burst.push(performance.now() - t0);
    }
    const stats = await s.request<StatsReply>('o2a/stats', {});
    return {
      lines: docLines.length,
      debounceMs: 150,
      diagnostics: { paced: figures(paced), burst: figures(burst) },
      completion: { warm: figures(warm), afterEdit: figures(afterEdit), items },
      openMs: Math.round(openMs),
      rssMb: Math.round(stats.rssBytes / 1e5) / 10,
      heapUsedMb: Math.round(stats.heapUsedBytes / 1e5) / 10,
      server: {
        sinceEdit: figures(afterPaced.publish.sinceEditMs.slice(-edits)),
        check: figures(afterPaced.publish.checkMs.slice(-edits)),
        checkCpu: figures(afterPaced.publish.checkCpuMs.slice(-edits)),
        reparses: stats.reparses,
      },
      typing: {
        keystrokes: typed,
        diagnostics: figures(typing),
        check: figures(afterTyping.publish.checkMs.slice(-typed)),
        reparses: {
          step: afterTyping.reparses.step - beforeTyping.reparses.step,
          gap: afterTyping.reparses.gap - beforeTyping.reparses.gap,
          whole: afterTyping.reparses.whole - beforeTyping.reparses.whole,
        },
      },
    };
  } finally {
    await s.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await runLspBench(), null, 2));
}
