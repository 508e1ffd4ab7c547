// The published JSON Schemas (schemas/*.schema.json), generated from the zod schemas that define
// the catalog snapshot and the compiled plan, and the ajv machinery that validates against them.
// `npm run schemas` rewrites the files; a test keeps the committed files equal to these.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { catalogSnapshotSchema } from './catalog/schema.js';
import { compiledPlanSchema } from './emit/schema.js';

export const CATALOG_SCHEMA_FILE = 'catalog.schema.json';
export const COMPILED_PLAN_SCHEMA_FILE = 'compiled-plan.schema.json';
const SCHEMA_BASE_URI = 'https://o2a.dev/schemas/';

type JsonSchema = Record<string, unknown>;

function published(schema: z.ZodType, file: string, title: string): JsonSchema {
  const { $schema, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as JsonSchema;
  return { $schema, $id: SCHEMA_BASE_URI + file, title, ...rest };
}

export function catalogJsonSchema(): JsonSchema {
  return published(catalogSnapshotSchema, CATALOG_SCHEMA_FILE, 'o2a catalog snapshot');
}

export function compiledPlanJsonSchema(): JsonSchema {
  return published(compiledPlanSchema, COMPILED_PLAN_SCHEMA_FILE, 'o2a compiled plan');
}

/** File name (under schemas/) to schema. */
export function generatedSchemas(): Record<string, object> {
  return {
    [CATALOG_SCHEMA_FILE]: catalogJsonSchema(),
    [COMPILED_PLAN_SCHEMA_FILE]: compiledPlanJsonSchema(),
  };
}

/** The exact text written to schemas/<file>. */
export function schemaFileText(schema: object): string {
  return JSON.stringify(schema, null, 2) + '\n';
}

// ajv (CommonJS, some hundred modules) loads on the first schema compiled: `o2a check` of a
// valid catalog never needs it.
type Ajv2020Class = typeof import('ajv/dist/2020.js').default;
let Ajv2020: Ajv2020Class | undefined;
function ajvClass(): Ajv2020Class {
  Ajv2020 ??= (createRequire(import.meta.url)('ajv/dist/2020.js') as { default: Ajv2020Class }).default;
  return Ajv2020;
}

/**
 * An ajv validator for a generated schema. `allErrors` so one pass reports every problem;
 * `verbose` so errors carry the schema and data at fault (used to explain oneOf/anyOf failures);
 * union types (`["string", "null"]`) are how zod writes nullable scalars.
 */
export function compileJsonSchema(schema: object): ValidateFunction {
  const ajv = new (ajvClass())({ strict: true, allowUnionTypes: true, allErrors: true, verbose: true });
  return ajv.compile(schema);
}

/**
 * ajv reports a failed oneOf/anyOf with the errors of every branch: for a characteristic with
 * `valueType: "enum"` it would also complain that it is not a number or a boolean characteristic.
 * Keep only the errors of the branch the data was meant for: the one its discriminator (a property
 * whose `const` or `enum` values tell the branches apart) selects, else the branch of the right
 * JSON type with fewest errors. A wrong or missing discriminator becomes an enum or required error.
 */
export function relevantErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const alternatives = errors
    .filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf')
    .sort((a, b) => a.instancePath.length - b.instancePath.length || a.schemaPath.length - b.schemaPath.length);
  // Through a recursive $ref, nested alternatives share a schema path: an error belongs to the
  // alternative nearest to it in the data.
  const owner = new Map<ErrorObject, ErrorObject>();
  for (const e of errors) {
    for (const alt of alternatives) {
      if (e !== alt && e.schemaPath.startsWith(`${alt.schemaPath}/`) && isWithin(e.instancePath, alt.instancePath)) owner.set(e, alt);
    }
  }
  const branchOf = (e: ErrorObject, alt: ErrorObject): number | undefined =>
    owner.get(e) === alt ? Number(e.schemaPath.slice(alt.schemaPath.length + 1).split('/')[0]) : undefined;

  // Rejected: in a branch the data was not meant for, with everything beneath it.
  // Resolved: an alternative whose chosen branch's errors say it better.
  const rejected = new Set<ErrorObject>();
  const resolved = new Set<ErrorObject>();
  const replacements: ErrorObject[] = [];
  const live = (e: ErrorObject): boolean => {
    for (let x: ErrorObject | undefined = e; x !== undefined; x = owner.get(x)) if (rejected.has(x)) return false;
    return true;
  };
  for (const alt of alternatives) {
    if (!live(alt)) continue;
    const kept = errors.filter((e) => live(e) && !resolved.has(e));
    const branches = Array.isArray(alt.schema) ? (alt.schema as unknown[]) : [];
    const data = alt.data;
    const discriminator = discriminatorOf(branches);
    let chosen: number | undefined;
    const replacement: ErrorObject[] = [];
    if (discriminator !== undefined && isObject(data)) {
      const tag = data[discriminator.property];
      const index = discriminator.values.findIndex((values) => values.includes(tag));
      const allowedValues = discriminator.values.flat();
      if (index >= 0) chosen = index;
      else if (tag === undefined) {
        replacement.push({ ...alt, keyword: 'required', params: { missingProperty: discriminator.property, allowedValues },
          message: `must have required property '${discriminator.property}'` });
      } else {
        replacement.push({ ...alt, keyword: 'enum', instancePath: `${alt.instancePath}/${escapePointer(discriminator.property)}`,
          params: { allowedValues }, data: tag, message: 'must be equal to one of the allowed values' });
      }
    } else {
      const perBranch = branches.map((_, i) => kept.filter((e) => branchOf(e, alt) === i));
      const typed = perBranch
        .map((errs, i) => ({ i, errs }))
        .filter(({ errs }) => !errs.some((e) => e.keyword === 'type' && e.instancePath === alt.instancePath));
      if (typed.length > 0) chosen = typed.reduce((best, c) => (c.errs.length < best.errs.length ? c : best)).i;
      else {
        const types = [...new Set(perBranch.flat()
          .filter((e) => e.keyword === 'type' && e.instancePath === alt.instancePath)
          .flatMap((e) => (Array.isArray(e.params.type) ? e.params.type : String(e.params.type).split(','))))];
        replacement.push({ ...alt, keyword: 'type', params: { type: types }, message: `must be ${types.join(' or ')}` });
      }
    }
    if (chosen !== undefined) {
      // A oneOf whose data fits the chosen branch (and another) has no deeper error to show instead.
      const explained = kept.some((e) => e !== alt && isWithin(e.instancePath, alt.instancePath) && (owner.get(e) !== alt || branchOf(e, alt) === chosen));
      if (!explained) continue;
    }
    resolved.add(alt);
    for (const e of kept) if (owner.get(e) === alt && branchOf(e, alt) !== chosen) rejected.add(e);
    replacements.push(...replacement);
  }
  const kept = [...errors.filter((e) => live(e) && !resolved.has(e)), ...replacements];
  return kept.length > 0 ? kept : [...errors];
}

function isWithin(instancePath: string, ancestor: string): boolean {
  return instancePath === ancestor || instancePath.startsWith(`${ancestor}/`);
}

function discriminatorOf(branches: unknown[]): { property: string; values: unknown[][] } | undefined {
  const first = branches[0];
  if (!isObject(first) || !isObject(first.properties)) return undefined;
  for (const property of Object.keys(first.properties)) {
    const values = branches.map((b) => {
      const schema = isObject(b) && isObject(b.properties) ? b.properties[property] : undefined;
      if (!isObject(schema)) return undefined;
      if (schema.const !== undefined) return [schema.const];
      return Array.isArray(schema.enum) ? (schema.enum as unknown[]) : undefined;
    });
    if (values.some((v) => v === undefined)) continue;
    const all = (values as unknown[][]).flat();
    if (new Set(all).size === all.length) return { property, values: values as unknown[][] };
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function writeSchemaFiles(dir: string): string[] {
  const written: string[] = [];
  for (const [file, schema] of Object.entries(generatedSchemas())) {
    const path = join(dir, file);
    writeFileSync(path, schemaFileText(schema));
    written.push(path);
  }
  return written;
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const schemasDir = join(repoRoot, 'schemas');

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const path of writeSchemaFiles(schemasDir)) console.log(`wrote ${path}`);
}
