// Codes reported while loading a catalog snapshot (compiler/catalog/): reading the file, JSON
// syntax, the JSON Schema, and the snapshot's own consistency.
import type { DiagnosticDefinition } from '../catalogue.js';

export const CatalogCode = {
  notFound: 'O2A1001',
  unreadable: 'O2A1002',
  invalidJson: 'O2A1003',
  duplicateJsonProperty: 'O2A1004',
  schemaViolation: 'O2A1005',
  unknownProperty: 'O2A1006',
  missingProperty: 'O2A1007',
  invalidValue: 'O2A1008',
  duplicateEntry: 'O2A1009',
  unknownReference: 'O2A1010',
  defaultNotAllowed: 'O2A1011',
  defaultOutOfRange: 'O2A1012',
  emptyRange: 'O2A1013',
  duplicateEnumValue: 'O2A1014',
  retiredReplacement: 'O2A1015',
  replacementCycle: 'O2A1016',
  bundleWithoutOfferings: 'O2A1017',
  bundledOfferingsOnNonBundle: 'O2A1018',
  decompositionCycle: 'O2A1019',
  replacementOnActiveEntry: 'O2A1020',
  referenceToRetiredEntry: 'O2A1021',
} as const;

export const catalogCodes: DiagnosticDefinition[] = [
  {
    code: CatalogCode.notFound,
    name: 'catalog-not-found',
    severity: 'error',
    summary: 'The catalog snapshot directory or file does not exist.',
    explanation:
      'A plan is compiled against one catalog snapshot, given as a directory holding `catalog.json` (e.g. `catalogs/2026.11`) or as the JSON file itself. Nothing was found at the path, so no catalog name in any plan can be resolved. Check the path, or the `catalog <id> <version>` line of the plan, which selects `catalogs/<version>`.',
    wrong: '$ o2a check --catalog catalogs/2026.13 plans/',
    right: '$ o2a check --catalog catalogs/2026.11 plans/',
  },
  {
    code: CatalogCode.unreadable,
    name: 'catalog-unreadable',
    severity: 'error',
    summary: 'The catalog snapshot file exists but cannot be read.',
    explanation:
      'The snapshot path was found but reading it failed: it may be a directory without `catalog.json`, a file without read permission, or not valid UTF-8 text. The message carries the reason the operating system gave. The snapshot must be readable by the user running the compiler, the CI job or the runtime.',
    wrong: 'catalogs/2026.11/          (a directory without catalog.json)',
    right: 'catalogs/2026.11/catalog.json',
  },
  {
    code: CatalogCode.invalidJson,
    name: 'invalid-catalog-json',
    severity: 'error',
    summary: 'The catalog snapshot is not valid JSON.',
    explanation:
      'Catalog snapshots are strict JSON (RFC 8259): no comments, no trailing commas, strings in double quotes. The diagnostic points at the first character the parser could not accept and names the JSON path it was reading. Nothing else in the snapshot is checked until the JSON parses.',
    wrong: '{ "workTypes": [ { "id": "SITE_SURVEY", "name": "Site survey", } ] }',
    right: '{ "workTypes": [ { "id": "SITE_SURVEY", "name": "Site survey" } ] }',
  },
  {
    code: CatalogCode.duplicateJsonProperty,
    name: 'duplicate-json-property',
    severity: 'error',
    summary: 'A JSON object has the same property twice.',
    explanation:
      'JSON readers keep only one of two properties with the same name, usually the last, and drop the other without a word: the snapshot would not say what its author sees. Keep one of them.',
    wrong: '{ "id": "MSISDN", "name": "Mobile number", "category": "number", "name": "MSISDN" }',
    right: '{ "id": "MSISDN", "name": "Mobile number", "category": "number" }',
  },
  {
    code: CatalogCode.schemaViolation,
    name: 'catalog-schema-violation',
    severity: 'error',
    summary: 'A value in the catalog snapshot has the wrong type or shape.',
    explanation:
      'Every snapshot must conform to `schemas/catalog.schema.json`: identifiers must be letters, digits and underscores starting with a letter, timeouts positive integers, lists must be arrays, and so on. The message names the JSON path of the value at fault and what the schema expects there. Editors that honour the `$schema` property show the same problems while the snapshot is edited.',
    wrong: '{ "id": "activation", "defaultTimeoutMs": "5m", ... }',
    right: '{ "id": "activation", "defaultTimeoutMs": 300000, ... }',
  },
  {
    code: CatalogCode.unknownProperty,
    name: 'unknown-catalog-property',
    severity: 'error',
    summary: 'A catalog entry has a property the snapshot format does not define.',
    explanation:
      'The snapshot format is closed: a property it does not define is almost always a misspelling of one it does, and an ignored misspelling would silently drop data (a `mandatorySevices` list would leave the offering with no mandatory services, and plans would no longer be checked against them). The help names the closest allowed property; the fix renames it.',
    wrong: '{ "id": "OTT_STREAMING", ..., "mandatorySevices": ["OTT_STREAMING_CFS"] }',
    right: '{ "id": "OTT_STREAMING", ..., "mandatoryServices": ["OTT_STREAMING_CFS"] }',
  },
  {
    code: CatalogCode.missingProperty,
    name: 'missing-catalog-property',
    severity: 'error',
    summary: 'A catalog entry lacks a required property.',
    explanation:
      'Some properties have no sensible default and must be stated: an offering\'s `lifecycleStatus`, a service\'s `category`, an activation target\'s `supportsReadBack`, a step kind\'s owner, command and events. The diagnostic points at the entry (or at the property holding it) and names the missing property.',
    wrong: '{ "id": "OTT_PLATFORM", "name": "OTT platform" }',
    right: '{ "id": "OTT_PLATFORM", "name": "OTT platform", "supportsReadBack": true }',
  },
  {
    code: CatalogCode.invalidValue,
    name: 'invalid-catalog-value',
    severity: 'error',
    summary: 'A catalog value is not one of the values its property allows.',
    explanation:
      'Properties such as `lifecycleStatus`, `category`, `orderType`, `valueType` or a notification `channels` entry take one of a fixed set of values. The message lists them; the help names the closest one when the value looks like a misspelling, and the fix replaces it.',
    wrong: '{ "id": "HOME_FIBER_500M", "lifecycleStatus": "retird", ... }',
    right: '{ "id": "HOME_FIBER_500M", "lifecycleStatus": "retired", ... }',
  },
  {
    code: CatalogCode.duplicateEntry,
    name: 'duplicate-catalog-entry',
    severity: 'error',
    summary: 'Two entries of one catalog section share an id, or one specification has two characteristics of the same name.',
    explanation:
      'Plans refer to catalog entries by id, and rules to characteristics by name: with two entries of one id, which one a plan gets would depend on file order. Ids must be unique within their section (offerings, services, resources, work types, activation targets, step kinds, notification templates) and characteristic names within their product specification. The related location points at the first entry.',
    wrong: '"resourceSpecifications": [ { "id": "SIM_CARD", ... }, { "id": "SIM_CARD", ... } ]',
    right: '"resourceSpecifications": [ { "id": "SIM_CARD", ... }, { "id": "ESIM_PROFILE", ... } ]',
  },
  {
    code: CatalogCode.unknownReference,
    name: 'unknown-catalog-reference',
    severity: 'error',
    summary: 'A catalog entry refers to an id that the snapshot does not define.',
    explanation:
      'Entries refer to each other by id: an offering to its mandatory services and bundled offerings, a service to its supporting services and required resources, a retired entry to its replacement. A reference to an id that is not in the snapshot (often a misspelling, or an entry renamed without updating its users) would let plans pass checks they should fail. The help names the closest existing id.',
    wrong: '{ "id": "STATIC_IP_CFS", ..., "requiredResources": ["IPV4_STATC"] }',
    right: '{ "id": "STATIC_IP_CFS", ..., "requiredResources": ["IPV4_STATIC"] }',
  },
  {
    code: CatalogCode.defaultNotAllowed,
    name: 'characteristic-default-not-allowed',
    severity: 'error',
    summary: 'An enum characteristic\'s default is not one of its values.',
    explanation:
      'When an order item leaves a characteristic unset, the default applies, and rules over the characteristic (`skip when item.installation == "self"`) are checked against the declared values. A default outside the values would give order items a value no rule expects.',
    wrong: '{ "name": "installation", "valueType": "enum", "values": ["self", "technician"], "default": "engineer" }',
    right: '{ "name": "installation", "valueType": "enum", "values": ["self", "technician"], "default": "technician" }',
  },
  {
    code: CatalogCode.defaultOutOfRange,
    name: 'characteristic-default-out-of-range',
    severity: 'error',
    summary: 'A number characteristic\'s default lies outside its min..max range.',
    explanation:
      'A default outside the declared range would give every order item that leaves the characteristic unset a value the offering does not sell (e.g. a download speed the access network cannot provision), and range checks in plans would disagree with the catalog.',
    wrong: '{ "name": "downloadSpeed", "valueType": "number", "min": 100, "max": 1000, "default": 2500 }',
    right: '{ "name": "downloadSpeed", "valueType": "number", "min": 100, "max": 1000, "default": 1000 }',
  },
  {
    code: CatalogCode.emptyRange,
    name: 'characteristic-empty-range',
    severity: 'error',
    summary: 'A number characteristic\'s min is greater than its max.',
    explanation:
      'With `min` above `max` no value is allowed, so no order item for the offering could ever be valid. Usually the two bounds are swapped.',
    wrong: '{ "name": "targetSpeed", "valueType": "number", "min": 2500, "max": 100 }',
    right: '{ "name": "targetSpeed", "valueType": "number", "min": 100, "max": 2500 }',
  },
  {
    code: CatalogCode.duplicateEnumValue,
    name: 'duplicate-enum-value',
    severity: 'warning',
    summary: 'An enum characteristic lists the same value twice.',
    explanation:
      'A repeated value changes nothing by itself, but it usually hides a typo: the value that was meant to be there is missing (e.g. `["physical", "physical"]` for `["physical", "esim"]`). Remove the repetition or put the intended value back.',
    wrong: '{ "name": "simType", "valueType": "enum", "values": ["physical", "esim", "physical"] }',
    right: '{ "name": "simType", "valueType": "enum", "values": ["physical", "esim"] }',
  },
  {
    code: CatalogCode.retiredReplacement,
    name: 'retired-replacement',
    severity: 'error',
    summary: 'An entry is replaced by an entry that is itself retired.',
    explanation:
      '`replacedBy` tells plan authors (and the compiler\'s suggestions) what to use instead of a retired entry. Pointing it at another retired entry sends them to something they cannot use either. Point it at the active end of the chain; the help names it when there is one.',
    wrong: '{ "id": "ONT_GPON_V0", "lifecycleStatus": "retired", "replacedBy": "ONT_GPON_V1" }   (ONT_GPON_V1 retired too)',
    right: '{ "id": "ONT_GPON_V0", "lifecycleStatus": "retired", "replacedBy": "ONT_GPON" }',
  },
  {
    code: CatalogCode.replacementCycle,
    name: 'replacement-cycle',
    severity: 'error',
    summary: 'Following `replacedBy` leads back to the entry it started from.',
    explanation:
      'A replacement chain must end at an entry that is not replaced. A cycle (an entry replacing itself, or A replaced by B replaced by A) leaves no entry to use and would send tools that follow the chain round forever. The message shows the cycle.',
    wrong: '{ "id": "HOME_FIBER_500M", "replacedBy": "HOME_FIBER_1G" }, { "id": "HOME_FIBER_1G", "replacedBy": "HOME_FIBER_500M" }',
    right: '{ "id": "HOME_FIBER_500M", "replacedBy": "HOME_FIBER_1G" }, { "id": "HOME_FIBER_1G" }',
  },
  {
    code: CatalogCode.bundleWithoutOfferings,
    name: 'bundle-without-offerings',
    severity: 'error',
    summary: 'A bundle offering bundles no offerings.',
    explanation:
      'A bundle is fulfilled by fulfilling the offerings it bundles; with an empty `bundledOfferings` list a bundle plan has nothing to check its items against and an order for it would complete without delivering anything.',
    wrong: '{ "id": "FAMILY_PACK", "isBundle": true, ... }',
    right: '{ "id": "FAMILY_PACK", "isBundle": true, "bundledOfferings": ["MOBILE_POSTPAID", "HOME_FIBER_1G"], ... }',
  },
  {
    code: CatalogCode.bundledOfferingsOnNonBundle,
    name: 'bundled-offerings-on-non-bundle',
    severity: 'error',
    summary: 'An offering that is not a bundle lists bundled offerings.',
    explanation:
      'Only bundles (`"isBundle": true`) have bundled offerings; on any other offering the list is ignored, which almost always means `isBundle` was forgotten.',
    wrong: '{ "id": "FAMILY_PACK", "bundledOfferings": ["MOBILE_POSTPAID", "HOME_FIBER_1G"], ... }',
    right: '{ "id": "FAMILY_PACK", "isBundle": true, "bundledOfferings": ["MOBILE_POSTPAID", "HOME_FIBER_1G"], ... }',
  },
  {
    code: CatalogCode.decompositionCycle,
    name: 'service-decomposition-cycle',
    severity: 'error',
    summary: 'A service specification supports itself, directly or through others.',
    explanation:
      'Service decomposition (CFS to RFS, RFS to RFS) must be a tree: an order for a service that needs itself could never be fulfilled, and tools that expand the decomposition would not terminate. The message shows the cycle.',
    wrong: '{ "id": "INTERNET_ACCESS_CFS", "supportingServices": ["FTTH_ACCESS_RFS"] }, { "id": "FTTH_ACCESS_RFS", "supportingServices": ["INTERNET_ACCESS_CFS"] }',
    right: '{ "id": "INTERNET_ACCESS_CFS", "supportingServices": ["FTTH_ACCESS_RFS"] }, { "id": "FTTH_ACCESS_RFS" }',
  },
  {
    code: CatalogCode.replacementOnActiveEntry,
    name: 'replacement-on-active-entry',
    severity: 'warning',
    summary: 'An active entry names a replacement.',
    explanation:
      '`replacedBy` is meant for retired entries. On an active entry it is either left over from an earlier snapshot or the entry was meant to be retired; tools suggest the replacement while plans keep using the entry.',
    wrong: '{ "id": "HOME_FIBER_500M", "lifecycleStatus": "active", "replacedBy": "HOME_FIBER_1G" }',
    right: '{ "id": "HOME_FIBER_500M", "lifecycleStatus": "retired", "replacedBy": "HOME_FIBER_1G" }',
  },
  {
    code: CatalogCode.referenceToRetiredEntry,
    name: 'reference-to-retired-entry',
    severity: 'warning',
    summary: 'An active entry depends on a retired one.',
    explanation:
      'An active offering whose mandatory service, or bundled offering, is retired, or an active service that needs a retired resource, cannot be fulfilled with what the catalog still sells: plans checked against this snapshot would be told not to use the retired entry they must use. Refer to its replacement instead; the help names it.',
    wrong: '{ "id": "INTERNET_ACCESS_CFS", "requiredResources": ["ONT_GPON_V1"] }   (ONT_GPON_V1 retired, replaced by ONT_GPON)',
    right: '{ "id": "INTERNET_ACCESS_CFS", "requiredResources": ["ONT_GPON"] }',
  },
];
