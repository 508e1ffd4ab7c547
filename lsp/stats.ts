// `o2a/stats`: the server's own figures, for the benchmark and for the curious.
import { getHeapSpaceStatistics } from 'node:v8';
import { reparseCounts } from '../compiler/syntax/index.js';
import { planCheckCounts } from '../compiler/check/index.js';
import type { ServerContext } from './context.js';
import { publishTimings } from './diagnostics.js';

export const statsRequest = 'o2a/stats';

export interface ServerStats {
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  /** V8's heap spaces: bytes in use and committed, by space. */
  heapSpaces: Record<string, { usedBytes: number; committedBytes: number }>;
  openDocuments: number;
  /** Edits re-parsed one step at a time, by the members around them (errors allowed), and whole-file parses after an edit. */
  reparses: { step: number; gap: number; whole: number };
  /** Plans checked after an edit, and plans whose last checks were reused (nothing they read changed). */
  planChecks: { checked: number; reused: number };
  /** The last publications (up to 500): ms from the last edit to the diagnostics sent, of the check alone, and its CPU time. */
  publish: { sinceEditMs: number[]; checkMs: number[]; checkCpuMs: number[] };
}

export function stats(ctx: ServerContext): ServerStats {
  const m = process.memoryUsage();
  const heapSpaces: ServerStats['heapSpaces'] = {};
  for (const s of getHeapSpaceStatistics()) heapSpaces[s.space_name] = { usedBytes: s.space_used_size, committedBytes: s.physical_space_size };
  return {
    rssBytes: m.rss,
    heapUsedBytes: m.heapUsed,
    heapTotalBytes: m.heapTotal,
    externalBytes: m.external,
    heapSpaces,
    openDocuments: ctx.workspace.openFiles().length,
    reparses: { ...reparseCounts },
    planChecks: { ...planCheckCounts },
    publish: { sinceEditMs: [...publishTimings.sinceEditMs], checkMs: [...publishTimings.checkMs], checkCpuMs: [...publishTimings.checkCpuMs] },
  };
}
