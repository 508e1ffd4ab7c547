// Bundles (§20). O2A5001: the offering is not a bundle. O2A5002: an item's plan is for an offering
// the bundle does not bundle. O2A5003: a bundled offering with no item. O2A5005: no items.
import { diagnostic, type Diagnostic } from '../../diagnostics/index.js';
import type { BundleCheck } from '../context.js';

export const bundleOfferingIsBundle: BundleCheck = ({ bundle }) => {
  const o = bundle.offering;
  if (o === undefined || o.isBundle) return [];
  return [diagnostic('O2A5001', bundle.file, bundle.decl.offering.range, `offering ${o.id} is not a bundle`, {
    help: `write \`plan ${bundle.name} for offering ${o.id}\`, or name a bundle offering`,
  })];
};

export const bundleItemsMatchOffering: BundleCheck = ({ bundle }) => {
  const o = bundle.offering;
  if (o === undefined || !o.isBundle) return [];
  const out: Diagnostic[] = [];
  const covered = new Set<string>();
  for (const item of bundle.items) {
    const offering = item.plan?.offering;
    if (offering === undefined) continue;
    covered.add(offering.id);
    if (!o.bundledOfferings.includes(offering.id)) {
      out.push(diagnostic('O2A5002', bundle.file, item.planIdent.range,
        `item '${item.name}' is plan ${item.plan!.name} for ${offering.id}, which bundle offering ${o.id} does not include`, {
          help: `${o.id} bundles ${o.bundledOfferings.join(', ')}`,
        }));
    }
  }
  if (bundle.items.length > 0 && bundle.items.every((i) => i.plan?.offering !== undefined)) {
    for (const missing of o.bundledOfferings.filter((id) => !covered.has(id))) {
      out.push(diagnostic('O2A5003', bundle.file, bundle.decl.name.range,
        `bundle ${bundle.name} has no item for ${missing}, which offering ${o.id} bundles`, {
          help: `add \`item <name>: <plan for ${missing}>\`, marked \`optional\` if the customer may leave it out`,
        }));
    }
  }
  return out;
};

export const bundleHasItems: BundleCheck = ({ bundle }) =>
  bundle.decl.members.some((m) => m.kind === 'Item')
    ? []
    : [diagnostic('O2A5005', bundle.file, bundle.decl.name.range, `bundle ${bundle.name} has no items`, {
        help: 'add `item <name>: <plan>` for each bundled offering',
      })];
