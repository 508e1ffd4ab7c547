// The JSON Schemas the TMF routes check requests with (ajv, at the edge): TMF622 v4's definitions
// (service/tmf622-v4.schema.json, from TM Forum's swagger: see extract-tmf-schema.ts) and the one
// o2a adds to them, the body of a PATCH that amends an item.
import { readFileSync } from 'node:fs';
import { projectPath } from '../compiler/project-root.js';

export const TMF622_SCHEMA_ID = 'tmf622-v4';

/** `{ $ref }` to a TMF622 v4 definition. */
export function tmf622(definition: string): { $ref: string } {
  return { $ref: `${TMF622_SCHEMA_ID}#/definitions/${definition}` };
}

type Definitions = Record<string, Record<string, unknown>>;

let loaded: { $id: string; definitions: Definitions } | null = null;

/**
 * TMF622 v4's definitions, with o2a's PATCH body: ProductOrder_Update whose items may carry
 * `change`, the name of the plan's amend rule the PATCH asks for (o2a's extension of
 * ProductOrderItem: TMF622 has no field saying which in-flight change an update is).
 */
export function tmf622Schema(): { $id: string; definitions: Definitions } {
  if (loaded) return loaded;
  const schema = JSON.parse(readFileSync(projectPath('service', 'tmf622-v4.schema.json'), 'utf8')) as { $id: string; definitions: Definitions };
  const defs = schema.definitions;
  const item = defs.ProductOrderItem as { properties: Record<string, unknown> };
  defs.ProductOrderItem_Amend = {
    ...item,
    properties: { ...item.properties, change: { type: 'string', minLength: 1, maxLength: 200 } },
  };
  const update = defs.ProductOrder_Update as { properties: Record<string, unknown> };
  defs.ProductOrder_Amend = {
    ...update,
    properties: { ...update.properties, productOrderItem: { type: 'array', items: { $ref: '#/definitions/ProductOrderItem_Amend' } } },
  };
  loaded = schema;
  return schema;
}
