// Shared by the compiler tests: the sample catalog snapshots and a compile shortcut.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCatalog } from '../../compiler/catalog/load.js';
import type { CatalogSnapshot } from '../../compiler/catalog/schema.js';
import { compileWorkspace, type CompileResult } from '../../compiler/index.js';

export const repoRoot = join(import.meta.dirname, '..', '..');

const snapshots = new Map<string, CatalogSnapshot>();

export function catalog(version: '2026.10' | '2026.11' = '2026.11'): CatalogSnapshot {
  let snapshot = snapshots.get(version);
  if (snapshot === undefined) {
    const loaded = loadCatalog(join(repoRoot, 'catalogs', version));
    if (loaded.catalog === undefined) throw new Error(`catalogs/${version} does not load: ${loaded.diagnostics.map((d) => d.message).join('; ')}`);
    snapshot = loaded.catalog;
    snapshots.set(version, snapshot);
  }
  return snapshot;
}

export function compile(text: string, file = 'plan.o2a'): CompileResult {
  return compileWorkspace([{ file, text }], catalog());
}

export function codes(result: CompileResult): string[] {
  return result.diagnostics.map((d) => d.code);
}

export function errors(result: CompileResult): string[] {
  return result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`);
}

/** The first ```o2a block of docs/language.md, as written. */
export function languageExampleAsWritten(): string {
  const doc = readFileSync(join(repoRoot, 'docs', 'language.md'), 'utf8');
  const match = /```o2a\n([\s\S]*?)```/.exec(doc);
  if (match === null) throw new Error('docs/language.md has no o2a example');
  return match[1]!;
}

/**
 * The example with its plan-default retry given the same idempotency key: as written, the default
 * `retry 3 ...` also applies to the work order, whose adapter is not idempotent (O2A4007).
 * A no-op once the docs say `same key` there.
 */
export function languageExample(): string {
  return languageExampleAsWritten().replace(/max 10m jitter \}/, 'max 10m jitter same key }');
}

/** Plans the example's bundle refers to, which the example itself does not declare. */
export const bundlePeers = `catalog telco-core 2026.11

plan MobilePostpaid for offering MOBILE_POSTPAID {
  billing starts on activation, blocks completion
  step mobile: service_order_item { service MOBILE_VOICE_DATA_CFS }
  step msisdn: resource_reservation after mobile { resource MSISDN  compensate quarantine }
  step sim: resource_reservation after mobile { resource SIM_CARD  compensate release }
  step core: activation after msisdn, sim {
    target HLR_HSS  on timeout unknown then reconcile  retry 2 every 30s same key  compensate deactivate
  }
  step verify: verification after core
  step inventory: inventory_commit after verify { service MOBILE_VOICE_DATA_CFS  compensate revert }
  step billing: billing_trigger after inventory { compensate cancel_billing }
  step notify: notification after billing { template SERVICE_ACTIVE }
}

plan OttStreaming for offering OTT_STREAMING {
  step ott: service_order_item { service OTT_STREAMING_CFS }
  step notify: notification after ott { template ORDER_RECEIVED }
}
`;
