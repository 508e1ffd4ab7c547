// Loading a catalog snapshot: JSON with positions, the published JSON Schema, zod for defaults,
// then the snapshot's own consistency. Never throws: every problem is a diagnostic.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compareDiagnostics, diagnostic, zeroRange, type Diagnostic } from '../diagnostics/index.js';
import { CatalogCode } from '../diagnostics/codes/catalog.js';
import { canonicalJson, sha256Hex } from '../hash.js';
import { catalogSnapshotSchema, type CatalogSnapshot, type CatalogSnapshotData } from './schema.js';
import { JsonDocument, pointer } from './json-document.js';
import { schemaDiagnostics } from './schema-diagnostics.js';
import { semanticDiagnostics } from './checks.js';

export interface CatalogLoadResult {
  /** Present when the snapshot has no errors (warnings allowed). */
  catalog?: CatalogSnapshot;
  diagnostics: Diagnostic[];
}

export const CATALOG_FILE_NAME = 'catalog.json';

/**
 * Parses and validates snapshot text. `file` names it in diagnostics and becomes the snapshot's
 * `source`. Pure: the language server calls it on unsaved editor text.
 */
export function parseCatalog(text: string, file: string): CatalogLoadResult {
  try {
    return parseCatalogText(text, file, file);
  } catch (error) {
    // A bug here must not take the editor or the CI run down with it.
    return { diagnostics: [diagnostic(CatalogCode.unreadable, file, zeroRange, `internal error while reading the catalog: ${errorMessage(error)}`)] };
  }
}

/** Reads `<dir>/catalog.json` when given a snapshot directory, else the JSON file itself. */
export function loadCatalog(path: string): CatalogLoadResult {
  const file = catalogFileOf(path);
  if (typeof file !== 'string') return { diagnostics: [file] };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(file));
  } catch (error) {
    return { diagnostics: [diagnostic(CatalogCode.unreadable, file, zeroRange, `cannot read catalog snapshot ${file}: ${errorMessage(error)}`)] };
  }
  try {
    return parseCatalogText(text.replace(/^\uFEFF/, ''), file, path);
  } catch (error) {
    return { diagnostics: [diagnostic(CatalogCode.unreadable, file, zeroRange, `internal error while reading the catalog: ${errorMessage(error)}`)] };
  }
}

function catalogFileOf(path: string): string | Diagnostic {
  let stats;
  try {
    stats = statSync(path, { throwIfNoEntry: false });
  } catch (error) {
    return diagnostic(CatalogCode.unreadable, path, zeroRange, `cannot read catalog snapshot ${path}: ${errorMessage(error)}`);
  }
  if (stats === undefined) {
    return diagnostic(CatalogCode.notFound, path, zeroRange, `catalog snapshot ${path} does not exist`, {
      help: 'give a snapshot directory holding catalog.json (e.g. catalogs/2026.11) or the JSON file itself',
    });
  }
  if (!stats.isDirectory()) return path;
  const file = join(path, CATALOG_FILE_NAME);
  const inner = statSync(file, { throwIfNoEntry: false });
  if (inner === undefined || !inner.isFile()) {
    return diagnostic(CatalogCode.unreadable, path, zeroRange, `catalog snapshot directory ${path} has no ${CATALOG_FILE_NAME}`);
  }
  return file;
}

function parseCatalogText(text: string, file: string, source: string): CatalogLoadResult {
  const { document, errors } = JsonDocument.parse(text);
  const first = errors[0];
  if (first !== undefined) {
    // Errors after the first are mostly the parser losing its footing: report the cause only.
    return { diagnostics: [diagnostic(CatalogCode.invalidJson, file, first.range, `${pointer(first.path)}: invalid JSON: ${first.message}`)] };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { diagnostics: [diagnostic(CatalogCode.invalidJson, file, zeroRange, `/: invalid JSON: ${errorMessage(error)}`)] };
  }
  const diagnostics: Diagnostic[] = document.duplicateProperties().map((d) =>
    diagnostic(CatalogCode.duplicateJsonProperty, file, d.duplicate, `${pointer([...d.path, d.name])}: property '${d.name}' is given twice`, {
      help: 'JSON keeps only the last one; remove one of them',
      related: [{ file, range: d.first, message: `first '${d.name}' here` }],
    }));
  // zod decides; the JSON Schema (generated from the same zod schema, compiled by ajv: ~0.2 s)
  // only runs on a snapshot zod rejects, for its positioned, JSON-path messages.
  const parsed = catalogSnapshotSchema.safeParse(value);
  if (!parsed.success) diagnostics.push(...schemaDiagnostics(value, document, file));
  if (diagnostics.length > 0) return { diagnostics: diagnostics.sort(compareDiagnostics) };
  if (!parsed.success) {
    // The JSON Schema is generated from the zod schema, so this means they disagree: say where.
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
      diagnostics.push(diagnostic(CatalogCode.schemaViolation, file, document.valueRange(path), `${pointer(path)}: ${issue.message}`));
    }
    return { diagnostics };
  }
  diagnostics.push(...semanticDiagnostics(parsed.data, document, file).sort(compareDiagnostics));
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return { catalog: snapshotOf(parsed.data, source), diagnostics };
}

export function snapshotOf(data: CatalogSnapshotData, source: string): CatalogSnapshot {
  const byId = <T extends { id: string }>(entries: readonly T[]): ReadonlyMap<string, T> => new Map(entries.map((e) => [e.id, e]));
  return {
    data,
    sha256: sha256Hex(canonicalJson(data)),
    source,
    offerings: byId(data.productOfferings),
    services: byId(data.serviceSpecifications),
    resources: byId(data.resourceSpecifications),
    workTypes: byId(data.workTypes),
    activationTargets: byId(data.activationTargets),
    stepKinds: byId(data.stepKinds),
    notificationTemplates: byId(data.notificationTemplates),
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
