// Catalog entries as the editor shows them: a title, the description, facts worth knowing.
// Used by completion (documentation) and hover.
import type { Characteristic, CatalogSnapshot } from '../compiler/catalog/schema.js';
import type { CatalogSection } from '../compiler/resolve/model.js';
import { sectionNoun } from '../compiler/resolve/catalog-lookup.js';
import { durationInWords } from './policy-words.js';

export interface CatalogEntryView {
  id: string;
  name: string;
  description?: string;
  retired: boolean;
  /** Markdown bullet lines with the entry's facts. */
  facts: string[];
}

export function characteristicFacts(c: Characteristic): string[] {
  switch (c.valueType) {
    case 'enum':
      return [`type: enum of ${c.values.map((v) => `\`"${v}"\``).join(', ')}`, ...(c.default !== undefined ? [`default: \`"${c.default}"\``] : [])];
    case 'number':
      return [`type: number${c.unit !== undefined ? ` (${c.unit})` : ''}${c.min !== undefined || c.max !== undefined ? `, ${c.min ?? '-∞'}..${c.max ?? '∞'}` : ''}`];
    case 'string':
      return [`type: ${c.format === 'date' ? 'date' : 'string'}`];
    case 'boolean':
      return ['type: boolean'];
  }
}

/** Every entry of a section, retired ones included (flagged). */
export function catalogEntries(catalog: CatalogSnapshot, section: CatalogSection, offering?: string): CatalogEntryView[] {
  switch (section) {
    case 'offering':
      return [...catalog.offerings.values()].map((o) => view(o.id, o.name, o.description, o.lifecycleStatus === 'retired', [
        lifecycleFact(o.lifecycleStatus, o.replacedBy),
        ...(o.orderType === 'modify' ? ['modify order: changes an active service'] : []),
        ...(o.isBundle ? [`bundle of ${o.bundledOfferings.join(', ')}`] : []),
        ...(o.mandatoryServices.length > 0 ? [`mandatory services: ${o.mandatoryServices.join(', ')}`] : []),
      ]));
    case 'service':
      return [...catalog.services.values()].map((s) => view(s.id, s.name, s.description, s.lifecycleStatus === 'retired', [
        ...(s.lifecycleStatus === 'retired' ? [lifecycleFact(s.lifecycleStatus, undefined)] : []),
        `category: ${s.category}`,
        ...(s.requiredResources.length > 0 ? [`required resources: ${s.requiredResources.join(', ')}`] : []),
        ...(s.supportingServices.length > 0 ? [`supporting services: ${s.supportingServices.join(', ')}`] : []),
      ]));
    case 'resource':
      return [...catalog.resources.values()].map((r) => view(r.id, r.name, r.description, r.lifecycleStatus === 'retired', [
        ...(r.lifecycleStatus === 'retired' ? [lifecycleFact(r.lifecycleStatus, r.replacedBy)] : []),
        `category: ${r.category}`,
        ...(r.lifecycleStatus !== 'retired' && r.replacedBy !== undefined ? [`replaced by \`${r.replacedBy}\``] : []),
      ]));
    case 'work':
      return [...catalog.workTypes.values()].map((w) => view(w.id, w.name, w.description, false, w.evidence.length > 0 ? [`evidence: ${w.evidence.join(', ')}`] : []));
    case 'target':
      return [...catalog.activationTargets.values()].map((t) => view(t.id, t.name, t.description, false, [
        ...(t.systems.length > 0 ? [`systems: ${t.systems.join(', ')}`] : []),
        t.supportsReadBack ? 'supports read-back (reconciliation of unknown outcomes)' : 'no read-back: unknown outcomes cannot be reconciled automatically',
      ]));
    case 'template':
      return [...catalog.notificationTemplates.values()].map((t) => view(t.id, t.name, t.description, false, [
        `channels: ${t.channels.join(', ')}`,
        ...(t.announcesActiveService ? ['announces an active service: must come after verification'] : []),
      ]));
    case 'stepKind':
      return [...catalog.stepKinds.values()].map((k) => view(k.id, k.name, k.description, false, [
        `owner component: ${k.owner}`,
        k.idempotent
          ? 'idempotent adapter: a repeated command is applied at most once'
          : 'adapter not idempotent: a retry must keep the idempotency key (`same key`)',
        `default timeout: ${durationInWords(k.defaultTimeoutMs)}`,
        k.sideEffecting ? 'side-effecting: needs `compensate` or `irreversible`' : 'no side effects',
        ...(k.requires !== undefined ? [`requires a \`${k.requires}\``] : []),
        ...(k.compensations.length > 0 ? [`compensations: ${k.compensations.join(', ')}`] : []),
        ...(k.outcomes.length > 0 ? [`outcomes: ${k.outcomes.join(', ')}`] : []),
      ]));
    case 'characteristic': {
      const o = offering !== undefined ? catalog.offerings.get(offering) : undefined;
      if (o === undefined) return [];
      return o.productSpecification.characteristics.map((c) => view(c.name, c.name, c.description, false, characteristicFacts(c)));
    }
  }
}

export function catalogEntry(catalog: CatalogSnapshot, section: CatalogSection, id: string, offering?: string): CatalogEntryView | undefined {
  return catalogEntries(catalog, section, offering).find((e) => e.id === id);
}

/** `lifecycle: active`, or retired with what replaces it. */
function lifecycleFact(status: 'active' | 'retired', replacedBy: string | undefined): string {
  if (status === 'active') return 'lifecycle: active';
  return `lifecycle: **retired**, ${replacedBy !== undefined ? `replaced by \`${replacedBy}\`` : 'with no replacement'}: new plans must not use it`;
}

function view(id: string, name: string, description: string | undefined, retired: boolean, facts: string[]): CatalogEntryView {
  const v: CatalogEntryView = { id, name, retired, facts };
  if (description !== undefined) v.description = description;
  return v;
}

/** Markdown for hover and completion documentation. */
export function entryMarkdown(catalog: CatalogSnapshot, section: CatalogSection, entry: CatalogEntryView): string {
  const title = entry.name !== entry.id ? `${entry.name} (\`${entry.id}\`)` : `\`${entry.id}\``;
  const lines = [`**${sectionNoun[section]}** ${title}${entry.retired ? ' — **retired**' : ''}`, ''];
  if (entry.description !== undefined) lines.push(entry.description, '');
  for (const f of entry.facts) lines.push(`- ${f}`);
  if (entry.facts.length > 0) lines.push('');
  lines.push(`_catalog ${catalog.data.catalogId} ${catalog.data.version}_`);
  return lines.join('\n');
}
