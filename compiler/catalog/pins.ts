// Which catalog snapshot a set of plan files is checked against when none is given (`--catalog`):
// one rule, used by the CLI (check, compile) and by the language server, so both check a file
// against the same snapshot and report the same findings about its `catalog` line.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { diagnostic, type Diagnostic } from '../diagnostics/index.js';
import type { Range } from '../diagnostics/diagnostic.js';
import { closestMatch } from '../diagnostics/suggest.js';
import { catalogBindingOf } from '../syntax/index.js';
import { o2aLexer } from '../syntax/tokens.js';
import { LineMap } from '../syntax/positions.js';

/** A file's `catalog <id> <version>` line: the version it is pinned to, and where that is written. */
export interface CatalogPin {
  file: string;
  version: string;
  range: Range;
}

/** The pin of a file from its text (the CLI; the language server takes it from its parse). */
export function catalogPinOf(file: string, text: string): CatalogPin | undefined {
  const binding = catalogBindingOf(text);
  if (binding === undefined) return undefined;
  const token = o2aLexer.tokenizeOffsets(text).tokens[2]!;
  return { file, version: binding.version, range: new LineMap(text).range(token.startOffset, token.startOffset + token.image.length) };
}

/** The versions under a snapshots folder (`catalogs/`): its folders that hold a catalog.json. */
export function snapshotVersionsIn(dir: string): string[] {
  try {
    return existsSync(dir) ? readdirSync(dir).filter((v) => existsSync(join(dir, v, 'catalog.json'))).sort(compareVersions) : [];
  } catch {
    return [];
  }
}

export function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

export interface SnapshotChoice {
  /** The version to check against, one of `available`; none when no pin names one. */
  version?: string;
  /** Findings on the pins, when no version could be chosen. */
  diagnostics: Diagnostic[];
}

/**
 * The snapshot files pinned as `pins` are checked against, among the `available` versions of
 * `folder` (`catalogs/`): the newest version a file is pinned to that exists (a file pinned to
 * another one is then a finding of the resolver, O2A2003, with a fix that re-pins it). When no pin
 * names an existing snapshot, each pin is a finding on its version (O2A2004, with a did-you-mean
 * and a fix among the snapshots there); with no pin at all, the resolver reports each file.
 */
export function chooseSnapshot(pins: readonly CatalogPin[], available: readonly string[], folder = 'catalogs'): SnapshotChoice {
  let best: string | undefined;
  for (const pin of pins) {
    if (available.includes(pin.version) && (best === undefined || compareVersions(pin.version, best) > 0)) best = pin.version;
  }
  if (best !== undefined) return { version: best, diagnostics: [] };
  const list = available.length > 0 ? `the snapshots in ${folder}/ are ${available.join(', ')}` : `${folder}/ has no snapshot`;
  const diagnostics = pins.map(({ file, version, range }) => {
    const suggestion = closestMatch(version, available);
    return diagnostic('O2A2004', file, range, `${file} is pinned to catalog version ${version}, but there is no snapshot ${folder}/${version}`, {
      help: suggestion !== undefined ? `did you mean ${suggestion}? (${list}; or pass --catalog <snapshot dir>)` : `${list}; pass --catalog <snapshot dir>`,
      ...(suggestion !== undefined ? { fixes: [{ title: `Pin to ${suggestion}`, edits: [{ file, range, newText: suggestion }] }] } : {}),
    });
  });
  return { diagnostics };
}
