// Looks names up in the catalog section that owns them, with did-you-mean candidates.
import type { CatalogSnapshot } from '../catalog/schema.js';
import type { CatalogRefKey } from '../syntax/ast.js';
import type { CatalogSection } from './model.js';

export interface CatalogEntryInfo {
  exists: boolean;
  retired: boolean;
  replacedBy?: string;
}

function sectionMap(catalog: CatalogSnapshot, section: Exclude<CatalogSection, 'characteristic'>): ReadonlyMap<string, unknown> {
  switch (section) {
    case 'offering': return catalog.offerings;
    case 'service': return catalog.services;
    case 'resource': return catalog.resources;
    case 'work': return catalog.workTypes;
    case 'target': return catalog.activationTargets;
    case 'template': return catalog.notificationTemplates;
    case 'stepKind': return catalog.stepKinds;
  }
}

export function catalogIds(catalog: CatalogSnapshot, section: Exclude<CatalogSection, 'characteristic'>): string[] {
  return [...sectionMap(catalog, section).keys()];
}

/** Ids usable in a new plan: retired entries are left out of suggestions. */
export function activeCatalogIds(catalog: CatalogSnapshot, section: Exclude<CatalogSection, 'characteristic'>): string[] {
  return catalogIds(catalog, section).filter((id) => !lookupCatalog(catalog, section, id).retired);
}

export function lookupCatalog(catalog: CatalogSnapshot, section: Exclude<CatalogSection, 'characteristic'>, id: string): CatalogEntryInfo {
  const entry = sectionMap(catalog, section).get(id);
  if (entry === undefined) return { exists: false, retired: false };
  const e = entry as { lifecycleStatus?: string; replacedBy?: string };
  const info: CatalogEntryInfo = { exists: true, retired: e.lifecycleStatus === 'retired' };
  if (e.replacedBy !== undefined) info.replacedBy = e.replacedBy;
  return info;
}

export const catalogRefSection: Record<CatalogRefKey, Exclude<CatalogSection, 'characteristic' | 'offering' | 'stepKind'>> = {
  service: 'service', resource: 'resource', work: 'work', target: 'target', template: 'template',
};

export const sectionNoun: Record<CatalogSection, string> = {
  offering: 'product offering',
  service: 'service specification',
  resource: 'resource specification',
  work: 'work type',
  target: 'activation target',
  template: 'notification template',
  stepKind: 'step kind',
  characteristic: 'characteristic',
};

export const unknownCode: Record<CatalogRefKey, string> = {
  service: 'O2A2013', resource: 'O2A2014', work: 'O2A2015', target: 'O2A2016', template: 'O2A2017',
};
