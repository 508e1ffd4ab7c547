// The runtime's commits as metrics and traces follow them: each commit's audit rows that concern
// the follower, handled batch after batch in commit order (the handling may wait on the database),
// never two at once; `settled` resolves once everything taken so far is handled.
import type { LogRow } from '../runtime/engine/unit-of-work.js';
import type { Runtime } from '../runtime/runtime.js';

export class CommitFollower {
  private queue: LogRow[][] = [];
  private work: Promise<void> = Promise.resolve();
  private attached = false;

  constructor(
    private readonly runtime: Runtime,
    private readonly concerns: (row: LogRow) => boolean,
    private readonly handle: (rows: LogRow[]) => Promise<void>,
  ) {}

  /** Starts taking the runtime's commits. */
  attach(): void {
    if (this.attached) return;
    this.attached = true;
    this.runtime.onCommit((rows) => { if (this.attached) this.take(rows); });
  }

  /** Stops taking them (the runtime has no way to remove a listener). */
  detach(): void {
    this.attached = false;
  }

  /** A commit's audit rows: handled after those taken before. */
  take(rows: LogRow[]): void {
    const relevant = rows.filter(this.concerns);
    if (relevant.length === 0) return;
    this.queue.push(relevant);
    if (this.queue.length > 1) return;
    this.work = this.work.then(() => this.drain());
  }

  /** Resolves once every commit taken so far is handled. */
  async settled(): Promise<void> {
    while (this.queue.length > 0) await this.work;
    await this.work;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const rows = this.queue.flat();
      this.queue = [];
      await this.handle(rows);
    }
  }
}
