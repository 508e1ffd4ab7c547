// Offsets to zero-based line/character positions (UTF-16 code units, as LSP counts them).
import type { Position, Range } from '../diagnostics/diagnostic.js';

export class LineMap {
  private readonly lineStarts: number[];

  constructor(readonly source: string, lineStarts?: number[]) {
    if (lineStarts !== undefined) {
      this.lineStarts = lineStarts;
      return;
    }
    this.lineStarts = [0];
    scanLines(source, 0, source.length - 1, this.lineStarts);
  }

  /**
   * The line map of `source`, the text of `previous` with [from, oldTo) replaced by
   * [from, newTo): the line starts around the edit are found again, the others kept or moved.
   */
  static afterEdit(previous: LineMap, source: string, from: number, oldTo: number, newTo: number): LineMap {
    const old = previous.lineStarts;
    const delta = newTo - oldTo;
    // A line start at `from` or later depends on changed characters (`\r` then `\n`).
    let keep = 1; // the first line starts at 0 whatever the edit
    while (keep < old.length && old[keep]! < from) keep++;
    const starts = old.slice(0, keep);
    const end = scanLines(source, Math.max(0, from - 1), Math.min(newTo, source.length - 1), starts);
    for (let i = keep; i < old.length; i++) if (old[i]! + delta > end) starts.push(old[i]! + delta);
    return new LineMap(source, starts);
  }

  position(offset: number): Position {
    const clamped = Math.max(0, Math.min(offset, this.source.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= clamped) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: clamped - this.lineStarts[lo]!, offset: clamped };
  }

  /** `end` is exclusive. */
  range(start: number, end: number): Range {
    return { start: this.position(start), end: this.position(Math.max(start, end)) };
  }
}

/** Pushes the line starts that the characters `from..to` (inclusive) begin; returns where it stopped. */
function scanLines(source: string, from: number, to: number, starts: number[]): number {
  let i = from;
  for (; i <= to; i++) {
    const c = source.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) {
      if (source.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return i;
}
