// "Did you mean ...?": the closest candidate by edit distance (with transpositions), or by case;
// failing that, the one candidate whose words the name shares (`network_activation` for
// `activation`, `FTTH_INSTALL` for `FTTH_INSTALLATION`).

/**
 * The longest name a suggestion is looked for, or suggested: nobody misspells a name longer than
 * this one letter at a time, and comparing a megabyte-long name with every candidate would take
 * seconds (the edit distance is quadratic).
 */
export const maxSuggestedNameLength = 128;

export function closestMatch(name: string, candidates: Iterable<string>): string | undefined {
  if (name === '' || name.length > maxSuggestedNameLength) return undefined;
  const list: string[] = [];
  for (const c of candidates) if (c.length <= maxSuggestedNameLength) list.push(c);
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
    // The distance is at least the difference of the lengths.
    if (candidate === name || Math.abs(candidate.length - name.length) > Math.min(limit, bestDistance)) continue;
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
  // Three rows of the table: the one being filled and the two before it (for transpositions).
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, before[j - 2]! + 1);
      current[j] = v;
    }
    [before, previous, current] = [previous, current, before];
  }
  return previous[b.length]!;
}
