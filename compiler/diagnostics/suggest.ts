// "Did you mean ...?": the closest candidate by edit distance (with transpositions), or by case;
// failing that, the one candidate whose words the name shares (`network_activation` for
// `activation`, `FTTH_INSTALL` for `FTTH_INSTALLATION`).

export function closestMatch(name: string, candidates: Iterable<string>): string | undefined {
  if (name === '') return undefined;
  const list = [...candidates];
  return closestByEdits(name, list) ?? closestByWords(name, list);
}

/** The words of a name: split at `_`, `-`, `.` and lower-to-upper case changes, lower-cased. */
function wordsOf(name: string): string[] {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[\s_.-]+/).filter((w) => w !== '');
}

/** `a` stands for `b`: the same word, or a prefix of at least four letters (`install`, `installation`). */
function wordMatches(a: string, b: string): boolean {
  return a === b || (a.length >= 4 && b.startsWith(a)) || (b.length >= 4 && a.startsWith(b));
}

/**
 * The candidate that shares the most words with `name`, when every word of the shorter of the two
 * matches a word of the other and no other candidate shares as many: a guess, so only when it is
 * the only good one.
 */
function closestByWords(name: string, candidates: readonly string[]): string | undefined {
  const words = wordsOf(name);
  if (words.length === 0) return undefined;
  let best: string | undefined;
  let bestShared = 0;
  let tie = false;
  for (const candidate of candidates) {
    if (candidate === name) continue;
    const theirs = wordsOf(candidate);
    if (theirs.length === 0) continue;
    const shared = words.filter((w) => theirs.some((t) => wordMatches(w, t))).length;
    const covered = theirs.filter((t) => words.some((w) => wordMatches(w, t))).length;
    if (shared < words.length && covered < theirs.length) continue;
    if (shared > bestShared) {
      best = candidate;
      bestShared = shared;
      tie = false;
    } else if (shared === bestShared) {
      tie = true;
    }
  }
  return tie ? undefined : best;
}

/** Every candidate, sorted, when there are few enough to read in one line of help. */
export function fewCandidates(candidates: Iterable<string>, max = 12): string[] | undefined {
  const list = [...new Set(candidates)].sort();
  return list.length > 0 && list.length <= max ? list : undefined;
}

function closestByEdits(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const limit = Math.max(2, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === name) continue;
    const d = candidate.toLowerCase() === lower ? 0 : editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance || (d === bestDistance && best !== undefined && candidate < best)) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent transpositions. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => {
    const row = new Array<number>(cols).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j < cols; j++) d[0]![j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
