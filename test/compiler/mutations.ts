// Realistic single mistakes a catalog engineer makes in a valid workspace, for "one mistake, one
// error" (issue #13): each names the code it should give, and applies at the n-th place it can.

/** A workspace file. */
export interface Source {
  file: string;
  text: string;
}

export interface Mutation {
  name: string;
  /** The one error it should give (O2A201x: the unknown-name code of the catalog section). */
  code: string;
  /** Where in `text` it can apply: the spans of the word it rewrites, with what replaces it. */
  sites(text: string, words: ReadonlySet<string>): { start: number; end: number; replacement: string }[];
}

/** Every word of the workspace, so a misspelling never lands on another name that exists. */
export function wordsOf(sources: readonly Source[]): Set<string> {
  return new Set(sources.flatMap((s) => s.text.match(/[A-Za-z_][\w-]*/g) ?? []));
}

/** A misspelling a person makes: a letter dropped from the middle, or (short words) doubled. */
export function misspell(word: string, words: ReadonlySet<string>): string | undefined {
  const candidates = word.length >= 4
    ? [word.slice(0, Math.floor(word.length / 2)) + word.slice(Math.floor(word.length / 2) + 1), word.slice(0, -1) + word.slice(-1).repeat(2)]
    : [word + word.slice(-1)];
  return candidates.find((c) => c !== word && !words.has(c) && !/^(on|at|in|or|and|not|after|before|when|from)$/.test(c));
}

/** The sites of a group of a regular expression (`d` flag), misspelt. */
function groupSites(re: RegExp, group: number, text: string, words: ReadonlySet<string>, accept: (m: RegExpExecArray) => boolean = () => true) {
  const out: { start: number; end: number; replacement: string }[] = [];
  const global = new RegExp(re.source, `${re.flags.replace(/[gd]/g, '')}gd`);
  for (const m of text.matchAll(global)) {
    if (!accept(m)) continue;
    const [start, end] = m.indices![group]!;
    const replacement = misspell(m[group]!, words);
    if (replacement !== undefined) out.push({ start, end, replacement });
  }
  return out;
}

/** Comments and strings are not where these mistakes are made: sites inside them are left out. */
function inCode(text: string, offset: number): boolean {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const before = text.slice(lineStart, offset);
  return !before.includes('//') && (before.match(/"/g) ?? []).length % 2 === 0;
}

const stepKinds = new Set(['service_order_item', 'resource_reservation', 'appointment', 'work_order', 'activation', 'verification',
  'inventory_commit', 'billing_trigger', 'notification', 'customer_acceptance', 'approval', 'wait']);

export const mutations: readonly Mutation[] = [
  {
    name: 'misspelt step kind', code: 'O2A2012',
    sites: (text, words) => groupSites(/\bstep \w+: (\w+)/, 1, text, words, (m) => stepKinds.has(m[1]!)),
  },
  {
    name: 'misspelt template of a step', code: 'O2A2021',
    sites: (text, words) => groupSites(/\bstep \w+ from (\w+)/, 1, text, words),
  },
  {
    name: 'misspelt dependency', code: 'O2A2020',
    sites: (text, words) => groupSites(/\bstep \w+(?:: \w+| from \w+) after (\w+)/, 1, text, words),
  },
  {
    name: 'misspelt catalog id', code: 'O2A201x',
    sites: (text, words) => groupSites(/\b(?:service|resource|work|target|template) ([A-Z][A-Z0-9_]+)\b(?!:)/, 1, text, words),
  },
  {
    name: 'misspelt characteristic', code: 'O2A2023',
    sites: (text, words) => groupSites(/\bitem\.(\w+)/, 1, text, words),
  },
  {
    name: 'misspelt compensation action', code: 'O2A4002',
    sites: (text, words) => groupSites(/\bcompensate ([a-z_]+)/, 1, text, words, (m) => !/^(requires)$/.test(m[1]!)),
  },
  {
    name: 'misspelt step in a cancel rule', code: 'O2A2020',
    sites: (text, words) => groupSites(/\b(?:before|after) (\w+): (?:stop|compensate|reject)/, 1, text, words),
  },
  {
    name: 'misspelt plan of a bundle item', code: 'O2A2022',
    sites: (text, words) => groupSites(/\bitem \w+: (\w+)/, 1, text, words),
  },
  {
    name: 'duration without its unit', code: 'O2A0005',
    sites: (text) => [...text.matchAll(/\btimeout (\d+)([smhd])\b/dg)].map((m) => ({ start: m.indices![2]![0], end: m.indices![2]![1], replacement: '' })),
  },
  {
    name: 'dependency cycle: the first step of a plan after its last', code: 'O2A3001',
    sites: (text) => {
      const out: { start: number; end: number; replacement: string }[] = [];
      for (const plan of text.matchAll(/\nplan [\s\S]*?\n\}/g)) {
        const steps = [...plan[0].matchAll(/\n {2}step (\w+)(: \w+| from \w+)( after [\w, ]+)?/dg)];
        const first = steps[0];
        const last = steps[steps.length - 1];
        if (first === undefined || last === undefined || first === last || first[3] !== undefined) continue;
        const at = plan.index + first.indices![2]![1];
        out.push({ start: at, end: at, replacement: ` after ${last[1]}` });
      }
      return out;
    },
  },
];

/** `text` with the n-th site of `mutation` applied (sites in comments and strings left out), or undefined. */
export function applyMutation(mutation: Mutation, text: string, words: ReadonlySet<string>, n: number): string | undefined {
  const sites = mutation.sites(text, words).filter((s) => inCode(text, s.start));
  if (sites.length === 0) return undefined;
  const site = sites[n % sites.length]!;
  return text.slice(0, site.start) + site.replacement + text.slice(site.end);
}

export function siteCount(mutation: Mutation, text: string, words: ReadonlySet<string>): number {
  return mutation.sites(text, words).filter((s) => inCode(text, s.start)).length;
}
