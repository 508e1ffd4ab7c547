// `npm run bench`: every benchmark of o2a, with the peer runtimes measured in the same run on the
// same PostgreSQL. `npm run bench -- compiler runtime recovery service lsp startup orders` picks parts. Prints a Markdown report
// (as pasted in the README) and writes the raw figures to out/bench.json.
import { cpus, totalmem, loadavg } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { runCompilerBench } from './compiler/index.js';
import { runRuntimeBench } from './runtime/bench.js';
import { runPeerBench } from './runtime/peers.js';
import { runLspBench } from './lsp/index.js';
import { runRecoveryBench } from './recovery/index.js';
import { runServiceBench } from './service/index.js';
import { runStartupBench, type Figures } from './startup/index.js';
import { runOrdersBench } from './orders/index.js';

const parts = new Set(process.argv.slice(2).filter((a) => !a.startsWith('-')));
const want = (part: string) => parts.size === 0 || parts.has(part);
const fixed = (n: number | null | undefined, digits = 1) => (n === null || n === undefined ? 'n/a' : n.toFixed(digits));

const report: Record<string, unknown> = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, loadAverage: loadavg() },
  at: new Date().toISOString(),
};
const lines: string[] = [`Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} at start, ${new Date().toISOString()}`, ''];

if (want('compiler')) {
  const c = runCompilerBench();
  report.compiler = c;
  lines.push(
    `Compiler, \`o2a check\` of ${c.plans} plans x ${c.stepsPerPlan} steps (median of ${c.runs} fresh processes):`,
    '',
    '| workspace | wall time (process) | check time | files/s | steps/s | peak RSS |',
    '|---|---|---|---|---|---|',
    `| ${c.plans} plans | ${fixed(c.totalMs, 0)} ms | ${fixed(c.checkMs, 0)} ms | ${fixed(c.filesPerSecond, 0)} | ${fixed(c.stepsPerSecond, 0)} | ${fixed(c.peakRssMb, 0)} MB |`,
    `| ${c.doubled.plans} plans | ${fixed(c.doubled.totalMs, 0)} ms | ${fixed(c.doubled.checkMs, 0)} ms | | | ${fixed(c.doubled.peakRssMb, 0)} MB |`,
    '',
    `Scaling: twice the plans takes ${fixed(c.scalingRatio, 2)}x the check time (2.00 is linear).`,
    '',
  );
}

if (want('runtime')) {
  const peers = await runPeerBench();
  const o2a = await runRuntimeBench();
  report.runtime = { o2a, peers };
  const dbosRatio = peers.dbos.workflowsPerSecond ? o2a.ordersPerSecond / peers.dbos.workflowsPerSecond : null;
  const gwRatio = peers.graphileWorker.jobsPerSecond ? o2a.stepsPerSecond / peers.graphileWorker.jobsPerSecond : null;
  lines.push(
    `Runtime, ${o2a.orders} Home Fiber orders (${o2a.stepsPerOrder} steps each, instant simulated components) on the local PostgreSQL, peers in the same run:`,
    '',
    '| runtime | units/s | steps/s | p50 / p99 latency | peak RSS |',
    '|---|---|---|---|---|',
    `| o2a | ${fixed(o2a.ordersPerSecond)} orders/s | ${fixed(o2a.stepsPerSecond, 0)} | ${fixed(o2a.latencyMs.p50, 0)} / ${fixed(o2a.latencyMs.p99, 0)} ms | ${fixed(o2a.peakRssMb, 0)} MB |`,
    `| DBOS (9-step workflows) | ${fixed(peers.dbos.workflowsPerSecond)} workflows/s | ${fixed(peers.dbos.stepsPerSecond, 0)} | | |`,
    `| graphile-worker (no-op jobs) | ${fixed(peers.graphileWorker.jobsPerSecond, 0)} jobs/s | | | |`,
    '',
    `Ratios: o2a orders/s / DBOS workflows/s = ${fixed(dbosRatio, 2)} (target 2.0); o2a steps/s / graphile-worker jobs/s = ${fixed(gwRatio, 2)} (target 1.0).`,
    '',
  );
}

if (want('recovery')) {
  const r = await runRecoveryBench();
  report.recovery = r;
  const ms = (n: number | null | undefined) => (n === null || n === undefined ? 'not within the run' : `${(n / 1000).toFixed(1)} s`);
  const d = r.databaseRestart;
  lines.push(
    `Recovery, ${r.orders} Home Fiber orders through a child process running the runtime (3 worker loops, relay lease ${r.leaseMs / 1000} s):`,
    '',
    '| fault | in flight | first order completed after | every in-flight order moving again after |',
    '|---|---|---|---|',
    ...r.kill.kills.map((k, i) => `| kill -9 #${i + 1}, new process started at once | ${k.inFlightAtKill} | ${ms(k.firstCompletionMs)} (from the kill) | ${ms(k.allMovingMs)} (from the kill) |`),
    d.skipped ? `| database restart | skipped: ${d.skipped} | | |`
      : `| database stopped for ${ms(d.downMs)}, started again | ${d.inFlightAtStop} | ${ms(d.firstCompletionMs)} (from its return) | ${ms(d.allMovingMs)} (from its return) |`,
    '',
    `After ${r.kill.kills.length} kills: of ${r.kill.accepted} orders accepted (each process took a share as it started), ${r.kill.completed} completed, ${r.kill.failed} failed, ${r.kill.stuck} stuck, ${r.kill.fallout} fallout cases (${r.kill.seconds.toFixed(1)} s in all).`,
    d.skipped ? '' : `After the database restart: ${d.completed} completed, ${d.failed} failed, ${d.stuck} stuck, ${d.fallout} fallout cases; the process ${d.processSurvived ? 'stayed up' : 'DIED'}.`,
    '',
  );
}

if (want('service')) {
  const s = await runServiceBench();
  report.service = s;
  const e = s.endToEnd;
  lines.push(
    `Service, \`o2a serve\`'s HTTP edge on 127.0.0.1 (autocannon, ${s.connections} connections, ${s.seconds} s per target, each server in its own process; orders on the local PostgreSQL):`,
    '',
    '| target | answers/s | p50 / p99 latency |',
    '|---|---|---|',
    `| bare Fastify route answering a constant (same POST body) | ${fixed(s.bare.requestsPerSecond, 0)} | ${fixed(s.bare.latencyMs.p50, 0)} / ${fixed(s.bare.latencyMs.p99, 0)} ms |`,
    `| TMF622 POST /productOrder, worker loops off: orders accepted (201) | ${fixed(s.intake.requestsPerSecond)} | ${fixed(s.intake.latencyMs.p50, 0)} / ${fixed(s.intake.latencyMs.p99, 0)} ms |`,
    '',
    `Ratio: orders accepted/s / bare route answers/s = ${fixed(s.ratio, 3)}. Every 201 was an order in the database (${s.intake.answered201} answered, ${s.intake.recorded} recorded).`,
    `End to end: ${e.orders} Home Fiber orders POSTed to a server running ${e.workers} worker loops, accepted at ${fixed(e.acceptedPerSecond)}/s; ${e.completed} of them listed completed by the API ${fixed(e.seconds)} s after the first POST: ${fixed(e.completedPerSecond)} orders completed/s through the API.`,
    '',
  );
}

if (want('lsp')) {
  const l = await runLspBench();
  report.lsp = l;
  lines.push(
    `Language server, ${l.lines}-line plan file, ${l.diagnostics.paced.samples} one-character edits:`,
    '',
    '| measure | median | p95 |',
    '|---|---|---|',
    `| edit -> published diagnostics | ${fixed(l.diagnostics.paced.medianMs)} ms | ${fixed(l.diagnostics.paced.p95Ms)} ms |`,
    `| completion | ${fixed(l.completion.warm.medianMs)} ms | ${fixed(l.completion.warm.p95Ms)} ms |`,
    `| completion right after an edit | ${fixed(l.completion.afterEdit.medianMs)} ms | ${fixed(l.completion.afterEdit.p95Ms)} ms |`,
    `| typing a new step (${l.typing.keystrokes} keystrokes): edit -> diagnostics | ${fixed(l.typing.diagnostics.medianMs)} ms | ${fixed(l.typing.diagnostics.p95Ms)} ms |`,
    '',
    `Server memory: ${fixed(l.rssMb, 0)} MB RSS (targets: diagnostics median < 30 ms, completion < 15 ms, memory < 200 MB).`,
    '',
  );
}

if (want('startup')) {
  const s = await runStartupBench();
  report.startup = s;
  const cell = (f: Figures | null | undefined) => (f ? `${fixed(f.wallMs.min / 1000, 2)} / ${fixed(f.wallMs.median / 1000, 2)} s | ${fixed(f.cpuMs.median / 1000, 2)} s | ${fixed(f.peakRssMb.median, 0)} MB` : 'n/a | | ');
  const loads = s.rows.flatMap((r) => [...(r.after?.load ?? []), ...(r.before?.load ?? [])]);
  const p = s.postgres;
  lines.push(
    `Start-up on the embedded store (PGlite), each a fresh process, ${s.runs} runs (load average ${fixed(Math.min(...loads))} to ${fixed(Math.max(...loads))} during them)${s.beforeRoot ? `, alternating with the checkout at ${s.beforeRoot} (before)` : ''}:`,
    '',
    s.beforeRoot
      ? '| measure | before: wall min / median | CPU | peak RSS | after: wall min / median | CPU | peak RSS |'
      : '| measure | wall min / median | CPU (median) | peak RSS (median) |',
    s.beforeRoot ? '|---|---|---|---|---|---|---|' : '|---|---|---|---|',
    ...s.rows.map((r) => (s.beforeRoot ? `| ${r.measure} | ${cell(r.before)} | ${cell(r.after)} |` : `| ${r.measure} | ${cell(r.after)} |`)),
    '',
    p.skipped
      ? `PostgreSQL from binaries, side by side: skipped (${p.skipped}).`
      : `PostgreSQL from binaries, side by side: initdb + server started ${fixed((p.createMs ?? 0) / 1000, 2)} s; started again on its cluster ${fixed((p.startMs ?? 0) / 1000, 2)} s; connect + 1 query ${fixed(p.firstQueryMs, 0)} ms; ${fixed(p.pssMb, 0)} MB (PSS of its processes, one client).`,
    '',
  );
}

if (want('orders')) {
  const o = await runOrdersBench();
  report.orders = o;
  lines.push(
    `One large order, Home Fiber items (default characteristics), each size a fresh process, simulated components answering at once:`,
    '',
    `| store | ${o.sizes.map((n) => `${n} item${n === 1 ? '' : 's'}`).join(' | ')} | per item at ${o.sizes.at(-1)} / at 100 |`,
    `|---|${o.sizes.map(() => '---').join('|')}|---|`,
    ...o.stores.map((s) => (s.skipped ? `| ${s.store} | skipped: ${s.skipped} |`
      : `| ${s.store} | ${s.figures.map((f) => `${fixed(f.ms / 1000, 1)} s, ${fixed(f.msPerItem, 1)} ms/item, ${fixed(f.peakRssMb, 0)} MB`).join(' | ')} | ${fixed(s.ratio5000to100, 2)} (goal 1.5) |`)),
    '',
  );
}

mkdirSync('out', { recursive: true });
writeFileSync('out/bench.json', `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`${lines.join('\n')}\n`);
