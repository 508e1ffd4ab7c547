// `o2a/stats`: the server's own figures, for the benchmark and for the curious.
import type { ServerContext } from './context.js';

export const statsRequest = 'o2a/stats';

export interface ServerStats {
  rssBytes: number;
  heapUsedBytes: number;
  openDocuments: number;
}

export function stats(ctx: ServerContext): ServerStats {
  const m = process.memoryUsage();
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, openDocuments: ctx.workspace.openFiles().length };
}
