// The snapshot's own consistency, beyond what a JSON Schema can say: unique ids, references that
// resolve, characteristic defaults within their values, sane replacement chains and bundles.
// Each check is a small pure function of the validated data; positions come from the JSON text.
import { diagnostic, type Diagnostic, type DiagnosticDetails, type Range } from '../diagnostics/index.js';
import { CatalogCode } from '../diagnostics/codes/catalog.js';
import { closestMatch } from '../diagnostics/suggest.js';
import type { CatalogSnapshotData } from './schema.js';
import { pointer, type JsonDocument, type JsonPath } from './json-document.js';

export interface CheckContext {
  data: CatalogSnapshotData;
  document: JsonDocument;
  file: string;
  report(code: string, path: JsonPath, message: string, details?: DiagnosticDetails, range?: Range): void;
}

type Section = 'productOfferings' | 'serviceSpecifications' | 'resourceSpecifications' | 'workTypes'
  | 'activationTargets' | 'stepKinds' | 'notificationTemplates';

const sectionNoun: Record<Section, string> = {
  productOfferings: 'product offering',
  serviceSpecifications: 'service specification',
  resourceSpecifications: 'resource specification',
  workTypes: 'work type',
  activationTargets: 'activation target',
  stepKinds: 'step kind',
  notificationTemplates: 'notification template',
};

/** Section entries that can be retired, and so replaced. */
interface Lifecycled { id: string; lifecycleStatus: 'active' | 'retired'; replacedBy?: string | undefined }

export function semanticDiagnostics(data: CatalogSnapshotData, document: JsonDocument, file: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const ctx: CheckContext = {
    data, document, file,
    report(code, path, message, details = {}, range = document.valueRange(path)) {
      out.push(diagnostic(code, file, range, `${pointer(path)}: ${message}`, details));
    },
  };
  for (const check of catalogChecks) check(ctx);
  return out;
}

export const catalogChecks: readonly ((ctx: CheckContext) => void)[] = [
  duplicateEntries,
  duplicateCharacteristics,
  unknownReferences,
  characteristicValues,
  replacements,
  bundles,
  decompositionCycles,
  referencesToRetiredEntries,
];

function duplicateEntries(ctx: CheckContext): void {
  for (const section of Object.keys(sectionNoun) as Section[]) {
    const first = new Map<string, number>();
    ctx.data[section].forEach((entry, i) => {
      const earlier = first.get(entry.id);
      if (earlier === undefined) {
        first.set(entry.id, i);
        return;
      }
      ctx.report(CatalogCode.duplicateEntry, [section, i, 'id'], `duplicate ${sectionNoun[section]} '${entry.id}'`, {
        help: `ids must be unique within ${section}; the first is entry ${earlier}`,
        related: [{ file: ctx.file, range: ctx.document.valueRange([section, earlier, 'id']), message: `first '${entry.id}' here` }],
      });
    });
  }
}

function duplicateCharacteristics(ctx: CheckContext): void {
  ctx.data.productOfferings.forEach((offering, o) => {
    const first = new Map<string, number>();
    offering.productSpecification.characteristics.forEach((c, i) => {
      const earlier = first.get(c.name);
      if (earlier === undefined) {
        first.set(c.name, i);
        return;
      }
      const path = ['productOfferings', o, 'productSpecification', 'characteristics'];
      ctx.report(CatalogCode.duplicateEntry, [...path, i, 'name'], `duplicate characteristic '${c.name}' in product offering '${offering.id}'`, {
        help: 'characteristic names must be unique within a product specification',
        related: [{ file: ctx.file, range: ctx.document.valueRange([...path, earlier, 'name']), message: `first '${c.name}' here` }],
      });
    });
  });
}

function ids(entries: readonly { id: string }[]): Set<string> {
  return new Set(entries.map((e) => e.id));
}

/** With duplicate ids (reported on their own), the first entry is the one that counts. */
function firstById<T extends { id: string }>(entries: readonly T[]): Map<string, T> {
  const byId = new Map<string, T>();
  for (const e of entries) if (!byId.has(e.id)) byId.set(e.id, e);
  return byId;
}

function unknownReferences(ctx: CheckContext): void {
  const offerings = ids(ctx.data.productOfferings);
  const services = ids(ctx.data.serviceSpecifications);
  const resources = ids(ctx.data.resourceSpecifications);
  const check = (path: JsonPath, id: string | undefined, known: Set<string>, noun: string): void => {
    if (id === undefined || known.has(id)) return;
    const suggestion = closestMatch(id, known);
    const range = ctx.document.valueRange(path);
    ctx.report(CatalogCode.unknownReference, path, `unknown ${noun} '${id}'`, {
      help: suggestion ? `did you mean '${suggestion}'?` : `no ${noun} with this id in the snapshot`,
      fixes: suggestion ? [{ title: `replace with '${suggestion}'`, edits: [{ file: ctx.file, range, newText: JSON.stringify(suggestion) }] }] : [],
    }, range);
  };
  ctx.data.productOfferings.forEach((o, i) => {
    o.mandatoryServices.forEach((s, j) => check(['productOfferings', i, 'mandatoryServices', j], s, services, 'service specification'));
    o.bundledOfferings.forEach((b, j) => check(['productOfferings', i, 'bundledOfferings', j], b, offerings, 'product offering'));
    check(['productOfferings', i, 'replacedBy'], o.replacedBy, offerings, 'product offering');
  });
  ctx.data.serviceSpecifications.forEach((s, i) => {
    s.supportingServices.forEach((x, j) => check(['serviceSpecifications', i, 'supportingServices', j], x, services, 'service specification'));
    s.requiredResources.forEach((r, j) => check(['serviceSpecifications', i, 'requiredResources', j], r, resources, 'resource specification'));
  });
  ctx.data.resourceSpecifications.forEach((r, i) => {
    check(['resourceSpecifications', i, 'replacedBy'], r.replacedBy, resources, 'resource specification');
  });
}

function characteristicValues(ctx: CheckContext): void {
  ctx.data.productOfferings.forEach((offering, o) => {
    offering.productSpecification.characteristics.forEach((c, i) => {
      const path = ['productOfferings', o, 'productSpecification', 'characteristics', i];
      if (c.valueType === 'enum') {
        const seen = new Set<string>();
        c.values.forEach((v, j) => {
          if (seen.has(v)) {
            ctx.report(CatalogCode.duplicateEnumValue, [...path, 'values', j], `value '${v}' of characteristic '${c.name}' is listed twice`, {
              help: 'remove the repetition, or put back the value that was meant',
            });
          }
          seen.add(v);
        });
        if (c.default !== undefined && !c.values.includes(c.default)) {
          const suggestion = closestMatch(c.default, c.values);
          const range = ctx.document.valueRange([...path, 'default']);
          ctx.report(CatalogCode.defaultNotAllowed, [...path, 'default'], `default '${c.default}' of characteristic '${c.name}' is not one of its values`, {
            help: suggestion ? `did you mean '${suggestion}'? allowed values: ${c.values.join(', ')}` : `allowed values: ${c.values.join(', ')}`,
            fixes: suggestion ? [{ title: `replace with '${suggestion}'`, edits: [{ file: ctx.file, range, newText: JSON.stringify(suggestion) }] }] : [],
          }, range);
        }
      } else if (c.valueType === 'number') {
        if (c.min !== undefined && c.max !== undefined && c.min > c.max) {
          ctx.report(CatalogCode.emptyRange, [...path, 'min'], `characteristic '${c.name}' has min ${c.min} greater than max ${c.max}`, {
            help: 'no value is allowed; are min and max swapped?',
          });
        } else if (c.default !== undefined && ((c.min !== undefined && c.default < c.min) || (c.max !== undefined && c.default > c.max))) {
          ctx.report(CatalogCode.defaultOutOfRange, [...path, 'default'], `default ${c.default} of characteristic '${c.name}' is outside ${rangeText(c.min, c.max, c.unit)}`);
        }
      }
    });
  });
}

function rangeText(min: number | undefined, max: number | undefined, unit: string | undefined): string {
  const suffix = unit ? ` ${unit}` : '';
  if (min !== undefined && max !== undefined) return `${min}..${max}${suffix}`;
  if (min !== undefined) return `the minimum ${min}${suffix}`;
  return `the maximum ${String(max)}${suffix}`;
}

function lifecycledSections(ctx: CheckContext): { section: Section; entries: readonly Lifecycled[] }[] {
  return [
    { section: 'productOfferings', entries: ctx.data.productOfferings },
    { section: 'resourceSpecifications', entries: ctx.data.resourceSpecifications },
  ];
}

function replacements(ctx: CheckContext): void {
  for (const { section, entries } of lifecycledSections(ctx)) {
    const byId = firstById(entries);
    const noun = sectionNoun[section];
    const cyclic = new Set<string>();
    entries.forEach((entry, i) => {
      if (entry.replacedBy === undefined) return;
      const path = [section, i, 'replacedBy'];
      const chain = [entry.id];
      let next: Lifecycled | undefined = byId.get(entry.replacedBy);
      while (next !== undefined && !chain.includes(next.id)) {
        chain.push(next.id);
        next = next.replacedBy === undefined ? undefined : byId.get(next.replacedBy);
      }
      if (next !== undefined) {
        // Report a cycle once, on the entry of it that comes first in the file.
        const cycle = chain.slice(chain.indexOf(next.id));
        if (next.id === entry.id && !cycle.some((id) => cyclic.has(id))) {
          cycle.forEach((id) => cyclic.add(id));
          ctx.report(CatalogCode.replacementCycle, path, `${noun} '${entry.id}' is replaced in a cycle: ${[...cycle, entry.id].join(' -> ')}`, {
            help: 'a replacement chain must end at an entry that is not replaced',
          });
        }
        return;
      }
      if (entry.lifecycleStatus === 'active') {
        ctx.report(CatalogCode.replacementOnActiveEntry, path, `active ${noun} '${entry.id}' names a replacement`, {
          help: `retire '${entry.id}', or remove replacedBy`,
        });
      }
      const target = byId.get(entry.replacedBy);
      if (target?.lifecycleStatus === 'retired') {
        const end = byId.get(chain[chain.length - 1]!);
        const suggestion = end !== undefined && end.lifecycleStatus === 'active' ? end.id : undefined;
        const range = ctx.document.valueRange(path);
        ctx.report(CatalogCode.retiredReplacement, path, `${noun} '${entry.id}' is replaced by '${target.id}', which is retired`, {
          help: suggestion ? `did you mean '${suggestion}', which replaces it?` : 'name an active replacement, or none',
          fixes: suggestion ? [{ title: `replace with '${suggestion}'`, edits: [{ file: ctx.file, range, newText: JSON.stringify(suggestion) }] }] : [],
        }, range);
      }
    });
  }
}

function bundles(ctx: CheckContext): void {
  ctx.data.productOfferings.forEach((o, i) => {
    if (o.isBundle && o.bundledOfferings.length === 0) {
      const path = ctx.document.exactNodeAt(['productOfferings', i, 'bundledOfferings']) ? ['productOfferings', i, 'bundledOfferings'] : ['productOfferings', i, 'isBundle'];
      ctx.report(CatalogCode.bundleWithoutOfferings, path, `bundle offering '${o.id}' bundles no offerings`, {
        help: 'list the offerings it bundles in bundledOfferings',
      });
    } else if (!o.isBundle && o.bundledOfferings.length > 0) {
      ctx.report(CatalogCode.bundledOfferingsOnNonBundle, ['productOfferings', i, 'bundledOfferings'], `offering '${o.id}' lists bundled offerings but is not a bundle`, {
        help: 'set "isBundle": true, or remove bundledOfferings',
      }, ctx.document.keyRange(['productOfferings', i, 'bundledOfferings']));
    }
  });
}

function decompositionCycles(ctx: CheckContext): void {
  const services = ctx.data.serviceSpecifications;
  const index = new Map<string, number>();
  services.forEach((s, i) => { if (!index.has(s.id)) index.set(s.id, i); });
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): void => {
    state.set(id, 'visiting');
    stack.push(id);
    const i = index.get(id)!;
    services[i]!.supportingServices.forEach((next, j) => {
      if (!index.has(next)) return;
      if (state.get(next) === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        ctx.report(CatalogCode.decompositionCycle, ['serviceSpecifications', i, 'supportingServices', j],
          `supporting service '${next}' closes a decomposition cycle: ${cycle.join(' -> ')}`, {
            help: 'service decomposition must not loop back; remove one of these supporting services',
          });
      } else if (state.get(next) === undefined) visit(next);
    });
    stack.pop();
    state.set(id, 'done');
  };
  for (const s of services) if (state.get(s.id) === undefined) visit(s.id);
}

function referencesToRetiredEntries(ctx: CheckContext): void {
  const offerings = firstById(ctx.data.productOfferings);
  const services = firstById(ctx.data.serviceSpecifications);
  const resources = firstById(ctx.data.resourceSpecifications);
  const check = (path: JsonPath, user: string, target: { id: string; lifecycleStatus: string; replacedBy?: string | undefined } | undefined, noun: string): void => {
    if (target?.lifecycleStatus !== 'retired') return;
    const range = ctx.document.valueRange(path);
    const replacement = target.replacedBy;
    ctx.report(CatalogCode.referenceToRetiredEntry, path, `active '${user}' depends on retired ${noun} '${target.id}'`, {
      help: replacement ? `use its replacement '${replacement}'` : `'${target.id}' is retired with no replacement`,
      fixes: replacement ? [{ title: `replace with '${replacement}'`, edits: [{ file: ctx.file, range, newText: JSON.stringify(replacement) }] }] : [],
    }, range);
  };
  ctx.data.productOfferings.forEach((o, i) => {
    if (o.lifecycleStatus !== 'active') return;
    o.mandatoryServices.forEach((s, j) => check(['productOfferings', i, 'mandatoryServices', j], o.id, services.get(s), 'service specification'));
    o.bundledOfferings.forEach((b, j) => check(['productOfferings', i, 'bundledOfferings', j], o.id, offerings.get(b), 'product offering'));
  });
  ctx.data.serviceSpecifications.forEach((s, i) => {
    if (s.lifecycleStatus !== 'active') return;
    s.supportingServices.forEach((x, j) => check(['serviceSpecifications', i, 'supportingServices', j], s.id, services.get(x), 'service specification'));
    s.requiredResources.forEach((r, j) => check(['serviceSpecifications', i, 'requiredResources', j], s.id, resources.get(r), 'resource specification'));
  });
}
