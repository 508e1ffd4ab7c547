// Validates snapshot data against the published JSON Schema (schemas/catalog.schema.json) with
// ajv, and turns each ajv error into a diagnostic at the JSON text it concerns.
import type { ErrorObject, ValidateFunction } from 'ajv';
import { diagnostic, type Diagnostic, type Fix } from '../diagnostics/index.js';
import { CatalogCode } from '../diagnostics/codes/catalog.js';
import { closestMatch } from '../diagnostics/suggest.js';
import { catalogJsonSchema, compileJsonSchema, relevantErrors } from '../schemas.js';
import { parsePointer, pointer, type JsonDocument, type JsonPath } from './json-document.js';

let compiled: ValidateFunction | undefined;

export function schemaDiagnostics(value: unknown, document: JsonDocument, file: string): Diagnostic[] {
  compiled ??= compileJsonSchema(catalogJsonSchema());
  if (compiled(value)) return [];
  const errors = relevantErrors(compiled.errors ?? []);
  const misspelled = misspelledProperties(errors);
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const error of errors) {
    const d = toDiagnostic(error, document, file, misspelled);
    if (d === undefined) continue;
    const key = `${d.code}@${d.range.start.offset}:${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

/** `object path -> missing property` pairs already explained by a misspelled property beside them. */
function misspelledProperties(errors: readonly ErrorObject[]): Set<string> {
  const unknownByObject = new Map<string, string[]>();
  for (const e of errors) {
    if (e.keyword !== 'additionalProperties') continue;
    const list = unknownByObject.get(e.instancePath) ?? [];
    list.push(String(e.params.additionalProperty));
    unknownByObject.set(e.instancePath, list);
  }
  const explained = new Set<string>();
  for (const e of errors) {
    if (e.keyword !== 'required') continue;
    const missing = String(e.params.missingProperty);
    const unknown = unknownByObject.get(e.instancePath) ?? [];
    if (unknown.some((u) => closestMatch(u, [missing]) === missing)) explained.add(`${e.instancePath}\u0000${missing}`);
  }
  return explained;
}

function toDiagnostic(error: ErrorObject, document: JsonDocument, file: string, misspelled: Set<string>): Diagnostic | undefined {
  const path: JsonPath = parsePointer(error.instancePath);
  const at = pointer(path);
  switch (error.keyword) {
    case 'additionalProperties': {
      const property = String(error.params.additionalProperty);
      const propertyPath = [...path, property];
      const allowed = allowedProperties(error.parentSchema);
      const suggestion = closestMatch(property, allowed);
      const range = document.keyRange(propertyPath);
      const fixes: Fix[] = suggestion
        ? [{ title: `rename to '${suggestion}'`, edits: [{ file, range, newText: JSON.stringify(suggestion) }] }]
        : [];
      return diagnostic(CatalogCode.unknownProperty, file, range, `${pointer(propertyPath)}: unknown property '${property}'`, {
        help: suggestion ? `did you mean '${suggestion}'?` : `allowed properties: ${allowed.join(', ')}`,
        fixes,
      });
    }
    case 'required': {
      const missing = String(error.params.missingProperty);
      if (misspelled.has(`${error.instancePath}\u0000${missing}`)) return undefined;
      const allowedValues = error.params.allowedValues as unknown[] | undefined;
      const details = allowedValues ? { help: `${missing} is one of ${allowedValues.map(String).join(', ')}` } : {};
      return diagnostic(CatalogCode.missingProperty, file, document.anchorRange(path), `${at}: missing required property '${missing}'`, details);
    }
    case 'enum':
    case 'const': {
      const allowedValues = error.keyword === 'enum' ? (error.params.allowedValues as unknown[]) : [error.params.allowedValue];
      const allowed = allowedValues.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
      const actual = error.data;
      const suggestion = typeof actual === 'string' ? closestMatch(actual, allowedValues.filter((v): v is string => typeof v === 'string')) : undefined;
      const range = document.valueRange(path);
      const fixes: Fix[] = suggestion
        ? [{ title: `replace with '${suggestion}'`, edits: [{ file, range, newText: JSON.stringify(suggestion) }] }]
        : [];
      const expectation = allowed.length === 1 ? `must be ${allowed[0]}` : `must be one of ${allowed.join(', ')}`;
      return diagnostic(CatalogCode.invalidValue, file, range, `${at}: ${expectation}`, {
        help: suggestion ? `did you mean '${suggestion}'?` : `found ${JSON.stringify(actual) ?? 'nothing'}`,
        fixes,
      });
    }
    default: {
      const description = descriptionOf(error.parentSchema);
      const details = description !== undefined ? { help: description } : {};
      return diagnostic(CatalogCode.schemaViolation, file, document.valueRange(path), `${at}: ${explain(error)}`, details);
    }
  }
}

function explain(error: ErrorObject): string {
  switch (error.keyword) {
    case 'type': {
      const expected = error.params.type;
      const list = Array.isArray(expected) ? expected.join(' or ') : String(expected);
      return `must be ${/^[aeiou]/.test(list) ? 'an' : 'a'} ${list}, found ${jsonType(error.data)}`;
    }
    case 'pattern':
      return `${JSON.stringify(error.data)} does not match the pattern ${String(error.params.pattern)}`;
    case 'minItems':
      return `must have at least ${String(error.params.limit)} item${error.params.limit === 1 ? '' : 's'}`;
    case 'exclusiveMinimum':
      return `must be greater than ${String(error.params.limit)}`;
    default:
      return error.message ?? `fails ${error.keyword}`;
  }
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? `the integer ${value}` : `the number ${value}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

function allowedProperties(schema: unknown): string[] {
  if (schema !== null && typeof schema === 'object' && 'properties' in schema) {
    const properties = (schema as { properties: unknown }).properties;
    if (properties !== null && typeof properties === 'object') return Object.keys(properties);
  }
  return [];
}

function descriptionOf(schema: unknown): string | undefined {
  if (schema !== null && typeof schema === 'object' && 'description' in schema) {
    const description = (schema as { description: unknown }).description;
    if (typeof description === 'string') return description;
  }
  return undefined;
}
