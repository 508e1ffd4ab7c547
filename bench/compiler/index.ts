// Compiler benchmark: `o2a check` over a generated workspace of 500 plans x 40 steps, and over
// twice that, each in a fresh process (median of several runs).
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWorkspace } from './generate.js';

export interface CheckRun {
  exitCode: number;
  totalMs: number;
  checkMs: number;
  maxRssMb: number;
}

export interface CompilerBenchResult {
  plans: number;
  stepsPerPlan: number;
  runs: number;
  /** Median wall time of the whole `o2a check` process, module loading included. */
  totalMs: number;
  /** Median time of the check itself (reading, parsing, resolving, checking, emitting, printing). */
  checkMs: number;
  filesPerSecond: number;
  stepsPerSecond: number;
  peakRssMb: number;
  doubled: { plans: number; totalMs: number; checkMs: number; peakRssMb: number };
  /** checkMs(2n) / checkMs(n): 2.0 is linear. */
  scalingRatio: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function checkOnce(dir: string): CheckRun {
  const out = execFileSync(process.execPath, ['bench/compiler/check-once.mjs', dir], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return JSON.parse(out.trim().split('\n').pop()!) as CheckRun;
}

function measure(dir: string, runs: number): { totalMs: number; checkMs: number; peakRssMb: number } {
  checkOnce(dir); // warm the file cache (and build the bundle if a source changed)
  const results = Array.from({ length: runs }, () => checkOnce(dir));
  return {
    totalMs: median(results.map((r) => r.totalMs)),
    checkMs: median(results.map((r) => r.checkMs)),
    peakRssMb: Math.max(...results.map((r) => r.maxRssMb)),
  };
}

export function runCompilerBench(options: { plans?: number; steps?: number; runs?: number } = {}): CompilerBenchResult {
  const plans = options.plans ?? 500;
  const steps = options.steps ?? 40;
  const runs = options.runs ?? 5;
  const base = join(tmpdir(), 'o2a-bench-compiler');
  const single = join(base, `ws-${plans}`);
  const double = join(base, `ws-${plans * 2}`);
  generateWorkspace(single, plans, steps);
  generateWorkspace(double, plans * 2, steps);
  const one = measure(single, runs);
  const two = measure(double, runs);
  const files = plans + 1;
  return {
    plans,
    stepsPerPlan: steps,
    runs,
    totalMs: one.totalMs,
    checkMs: one.checkMs,
    filesPerSecond: files / (one.totalMs / 1000),
    stepsPerSecond: (plans * steps) / (one.totalMs / 1000),
    peakRssMb: one.peakRssMb,
    doubled: { plans: plans * 2, ...two },
    scalingRatio: two.checkMs / one.checkMs,
  };
}
