// Durations as written (`500ms`, `1h30m`) to milliseconds.

export const durationUnits: Readonly<Record<string, number>> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };
const unitOrder = ['d', 'h', 'm', 's', 'ms'];

export type DurationReading = { ok: true; ms: number } | { ok: false; problem: string };

/** Parts must be whole numbers with a unit, largest unit first, each unit once. */
export function readDuration(text: string): DurationReading {
  const part = /(\d+)([A-Za-z]+)/y;
  let at = 0;
  let ms = 0;
  let lastUnit = -1;
  if (text === '') return { ok: false, problem: 'it is empty' };
  while (at < text.length) {
    part.lastIndex = at;
    const m = part.exec(text);
    if (!m) return { ok: false, problem: /^\d+$/.test(text) ? 'it has no unit' : `'${text.slice(at)}' is not a number followed by a unit` };
    const unit = m[2]!;
    const order = unitOrder.indexOf(unit);
    if (order < 0) return { ok: false, problem: `'${unit}' is not a unit` };
    if (order <= lastUnit) return { ok: false, problem: 'its units must go from the largest to the smallest, each once' };
    lastUnit = order;
    ms += Number(m[1]) * durationUnits[unit]!;
    at = part.lastIndex;
  }
  return { ok: true, ms };
}
