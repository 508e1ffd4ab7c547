// Human-readable diagnostics: file:line:col, severity and code, the message, the source line with
// a caret under the range, help, and the fixes on offer.
import type { Diagnostic } from '../../compiler/diagnostics/index.js';

export interface TextOptions {
  color?: boolean;
}

const ansi = {
  red: '\x1b[31m',
  yellow: '\x1b[33m',
  blue: '\x1b[34m',
  cyan: '\x1b[36m',
  bold: '\x1b[1m',
  reset: '\x1b[0m',
};

export function renderText(diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, string>, options: TextOptions = {}): string {
  const paint = (code: keyof typeof ansi, text: string) => (options.color ? `${ansi[code]}${text}${ansi.reset}` : text);
  const out: string[] = [];
  // Each file split into lines once, not once per diagnostic.
  const linesOf = new Map<string, string[] | undefined>();
  const sourceLines = (file: string): string[] | undefined => {
    if (!linesOf.has(file)) linesOf.set(file, sources.get(file)?.split(/\r?\n/));
    return linesOf.get(file);
  };
  for (const d of diagnostics) {
    const { line, character } = d.range.start;
    const severityColor = d.severity === 'error' ? 'red' : d.severity === 'warning' ? 'yellow' : 'blue';
    out.push(`${d.file}:${line + 1}:${character + 1}: ${paint(severityColor, `${d.severity}[${d.code}]`)}: ${paint('bold', d.message)}`);
    const sourceLine = sourceLines(d.file)?.[line];
    // help, fix and note lines line up with the source excerpt's gutter (two spaces without one).
    const gutter = String(line + 1);
    const pad = sourceLine !== undefined ? ' '.repeat(gutter.length) : ' ';
    if (sourceLine !== undefined) {
      const endCharacter = d.range.end.line === line ? d.range.end.character : sourceLine.length;
      const width = Math.max(1, Math.min(endCharacter, sourceLine.length + 1) - character);
      const shown = excerpt(sourceLine, character, width);
      out.push(`${pad} |`);
      out.push(`${gutter} | ${shown.text}`);
      out.push(`${pad} | ${' '.repeat(shown.caret)}${paint(severityColor, '^'.repeat(shown.width))}`);
    }
    if (d.help) out.push(`${pad} = ${paint('cyan', 'help')}: ${d.help}`);
    for (const fix of d.fixes ?? []) out.push(`${pad} = fix: ${fix.title}`);
    for (const r of d.related ?? []) out.push(`${pad} = note: ${r.file}:${r.range.start.line + 1}:${r.range.start.character + 1}: ${r.message}`);
    out.push('');
  }
  return out.join('\n');
}

/** The widest source excerpt printed; a longer line is shown around the range, cut with `...`. */
const maxExcerpt = 160;

/**
 * The source line as printed under a diagnostic: control characters shown as `?` and tabs as a
 * space (one column each, so the caret stays under the range), and a long line cut to a window
 * around the range.
 */
function excerpt(line: string, character: number, width: number): { text: string; caret: number; width: number } {
  // eslint-disable-next-line no-control-regex
  const clean = line.replace(/\t/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  if (clean.length <= maxExcerpt) return { text: clean, caret: character, width };
  const start = Math.max(0, Math.min(character - 40, clean.length - maxExcerpt));
  const end = Math.min(clean.length, start + maxExcerpt);
  const head = start > 0 ? '...' : '';
  const tail = end < clean.length ? '...' : '';
  return { text: `${head}${clean.slice(start, end)}${tail}`, caret: head.length + character - start, width: Math.max(1, Math.min(width, end - character)) };
}

export function summaryLine(diagnostics: readonly Diagnostic[], fileCount: number): string {
  const count = (s: Diagnostic['severity']) => diagnostics.filter((d) => d.severity === s).length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(fileCount, 'file')} checked: ${plural(count('error'), 'error')}, ${plural(count('warning'), 'warning')}, ${plural(count('info'), 'note')}`;
}
