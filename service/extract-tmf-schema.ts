// Writes service/tmf622-v4.schema.json: the definitions of TM Forum's TMF622 v4.0.0 swagger
// (Apache-2.0, tmforum-apis/TMF622_ProductOrder) that `o2a serve` checks requests with, as one
// JSON Schema for ajv. Run from the project root when the reference changes:
//   node --import tsx service/extract-tmf-schema.ts [path/to/TMF622-ProductOrder-v4.0.0.swagger.json]
// What it changes, so that the edge refuses what it cannot take rather than dropping it:
// - descriptions are left out (data only);
// - every object definition refuses fields it does not define (`additionalProperties: false`):
//   an unknown field is named in a 400, never silently dropped nor stored;
// - `format: float` (not a JSON Schema format) is left out: `type: number` says it;
// - ProductOrder_Create may carry `id`: the client's own id, under which a retried POST is
//   answered as the first (o2a's intake takes one; TMF622 v4 leaves it to the server);
// - ProductOrder_Update requires nothing (a PATCH names only what it changes).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../compiler/project-root.js';

const SOURCE = process.argv[2] ?? join(projectRoot(), '..', 'shared', 'reference', 'tmf', 'tmf622', 'v4', 'TMF622-ProductOrder-v4.0.0.swagger.json');
const TARGET = join(projectRoot(), 'service', 'tmf622-v4.schema.json');

type Node = { [key: string]: unknown };

function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clean);
  if (value === null || typeof value !== 'object') return value;
  const out: Node = {};
  for (const [key, v] of Object.entries(value as Node)) {
    // Annotations (strings); a property named `description` is an object and stays.
    if ((key === 'description' || key === 'example') && typeof v !== 'object') continue;
    if (key === 'format' && v === 'float') continue;
    out[key] = clean(v);
  }
  if (out.$ref !== undefined) return { $ref: out.$ref };
  if (out.type === 'object' && out.properties !== undefined && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

const swagger = JSON.parse(readFileSync(SOURCE, 'utf8')) as { info: { version: string }; definitions: Record<string, Node> };
const definitions = clean(swagger.definitions) as Record<string, Node>;
const create = definitions.ProductOrder_Create as { properties: Node };
create.properties = { id: { type: 'string', minLength: 1, maxLength: 200 }, ...create.properties };
delete (definitions.ProductOrder_Update as Node).required;

const schema = {
  $id: 'tmf622-v4',
  $comment: `Definitions of TM Forum TMF622 Product Ordering ${swagger.info.version} (Apache-2.0, tmforum-apis/TMF622_ProductOrder), `
    + 'descriptions left out, unknown fields refused, ProductOrder_Create with the client\'s id: see service/extract-tmf-schema.ts',
  definitions,
};
writeFileSync(TARGET, `${JSON.stringify(schema, null, 1)}\n`);
process.stdout.write(`wrote ${TARGET} (${Object.keys(definitions).length} definitions)\n`);
