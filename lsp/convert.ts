// Between the compiler's ranges and files and the protocol's ranges and URIs.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { Position as LspPosition, Range as LspRange, TextEdit as LspTextEdit } from 'vscode-languageserver/node';
import type { Range } from '../compiler/diagnostics/index.js';

export function toLspRange(range: Range): LspRange {
  return {
    start: { line: range.start.line, character: range.start.character },
    end: { line: range.end.line, character: range.end.character },
  };
}

export function containsPosition(range: Range, offset: number): boolean {
  return range.start.offset <= offset && offset <= range.end.offset;
}

export function isBefore(a: LspPosition, b: LspPosition): boolean {
  return a.line < b.line || (a.line === b.line && a.character < b.character);
}

export function rangesOverlap(a: LspRange, b: LspRange): boolean {
  return !isBefore(a.end, b.start) && !isBefore(b.end, a.start);
}

/**
 * Files are named as `o2a check` names them when run from the workspace root: relative, with
 * forward slashes. Files outside the root keep their absolute path.
 */
export class FileNames {
  constructor(readonly root: string | undefined) {}

  private readonly uriByFile = new Map<string, string>();

  fileOf(uri: string): string {
    if (!uri.startsWith('file:')) return uri;
    const path = fileURLToPath(uri);
    const file = this.fileOfPath(path);
    if (!this.uriByFile.has(file)) this.uriByFile.set(file, uri);
    return file;
  }

  fileOfPath(path: string): string {
    if (this.root !== undefined) {
      const rel = relative(this.root, path);
      if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).join('/');
    }
    return path;
  }

  pathOf(file: string): string {
    if (file.startsWith('file:')) return fileURLToPath(file);
    if (isAbsolute(file) || this.root === undefined) return file;
    return join(this.root, file);
  }

  uriOf(file: string): string {
    const known = this.uriByFile.get(file);
    if (known !== undefined) return known;
    if (/^[a-z][a-z0-9+.-]*:/i.test(file) && !isAbsolute(file)) return file;
    return pathToFileURL(this.pathOf(file)).href;
  }
}

/**
 * The smallest edits that turn `before` into `after`, line by line: the common head and tail are
 * kept, the middle is diffed by longest common subsequence when small enough.
 */
export function minimalEdits(before: string, after: string): LspTextEdit[] {
  if (before === after) return [];
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const hunks = midA.length * midB.length <= 4_000_000 ? lineHunks(midA, midB) : [{ a0: 0, a1: midA.length, b0: 0, b1: midB.length }];
  const lastLine = a.length - 1;
  return hunks.map((h) => {
    const startLine = head + h.a0;
    const endLine = head + h.a1;
    const lines = midB.slice(h.b0, h.b1);
    // Replace whole lines [startLine, endLine) including their line breaks.
    if (endLine <= lastLine) {
      return { range: { start: { line: startLine, character: 0 }, end: { line: endLine, character: 0 } }, newText: lines.map((l) => `${l}\n`).join('') };
    }
    // The hunk reaches the end of the text, which has no line break after it: take the break
    // before the hunk instead.
    const end = { line: lastLine, character: a[lastLine]!.length };
    if (startLine === 0) return { range: { start: { line: 0, character: 0 }, end }, newText: lines.join('\n') };
    const start = { line: startLine - 1, character: a[startLine - 1]!.length };
    return { range: { start, end }, newText: lines.map((l) => `\n${l}`).join('') };
  });
}

interface Hunk { a0: number; a1: number; b0: number; b1: number }

function lineHunks(a: string[], b: string[]): Hunk[] {
  const n = a.length;
  const m = b.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const hunks: Hunk[] = [];
  let i = 0;
  let j = 0;
  let open: Hunk | undefined;
  const close = () => {
    if (open !== undefined) hunks.push(open);
    open = undefined;
  };
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      close();
      i++;
      j++;
    } else if (j < m && (i === n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      open ??= { a0: i, a1: i, b0: j, b1: j };
      j++;
      open.b1 = j;
      open.a1 = i;
    } else {
      open ??= { a0: i, a1: i, b0: j, b1: j };
      i++;
      open.a1 = i;
      open.b1 = j;
    }
  }
  close();
  return hunks;
}
