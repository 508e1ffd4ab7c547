// TMF622 v4 product order intake: the subset of ProductOrder_Create the runtime reads.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { findUnstorable } from '../store/text.js';
import type { CharacteristicValue } from './rules.js';

const characteristic = z.object({
  name: z.string(),
  value: z.union([z.string(), z.number(), z.boolean()]),
}).passthrough();

/** TMF622 v4 OrderItemActionType: the actions an order item can ask for. */
export const ORDER_ITEM_ACTIONS = ['add', 'modify', 'delete', 'noChange'] as const;
export type OrderItemAction = (typeof ORDER_ITEM_ACTIONS)[number];

export interface Tmf622OrderItem {
  id: string;
  action: OrderItemAction;
  productOffering: { id: string; name?: string };
  product?: { productCharacteristic?: { name: string; value: CharacteristicValue }[] };
  productOrderItem?: Tmf622OrderItem[];
}

/**
 * What an order item must carry (at any depth of `productOrderItem`); a missing or ill-typed field
 * makes the order invalid, the field named (`productOrderItem.0.productOffering`):
 * - `id` and `action`: required by TMF622 v4 ProductOrderItem (swagger `required: [id, action]`,
 *   the conformance kit's ProductOrder.schema.json too); `action` one of OrderItemActionType
 *   (`add | modify | delete | noChange`).
 * - `productOffering`, with a non-empty `id`: ProductOfferingRef requires `id` (TMF622 v4 swagger).
 *   `productOffering` itself is optional in the schema (the CTK's minimal POST sends an item
 *   without one), but this runtime fulfils an item by the plan of its productOffering.id for its
 *   action (a cease plan for `delete`, nothing for `noChange`): an item without one cannot be
 *   fulfilled, so it is a problem of the order, not a missing plan.
 * Nothing more: `product` (and `product.id` for modify/delete) is not required, as neither the
 * TMF622 v4 / v5 schemas nor the CTK require it and this runtime does not read it.
 */
const orderItem: z.ZodType<Tmf622OrderItem> = itemSchema(true);

/**
 * An item whose `productOffering` may be absent (TMF622 v4 allows it): for an intake that takes
 * every valid TMF622 order and rejects, with the reason, what no plan can fulfil (`o2a serve`).
 * Such an item does not have the `productOffering` its type promises: the intake checks it.
 */
const orderItemOfferingOptional: z.ZodType<Tmf622OrderItem> = itemSchema(false);

function itemSchema(offeringRequired: boolean): z.ZodType<Tmf622OrderItem> {
  const offering = z.object({
    id: z.string().min(1, { error: 'empty productOffering id' }),
    name: z.string().optional(),
  }, { error: (issue) => (issue.input === undefined ? 'no productOffering given' : undefined) }).passthrough();
  const self: z.ZodType<Tmf622OrderItem> = z.lazy(() => z.object({
    id: z.string().min(1),
    action: z.enum(ORDER_ITEM_ACTIONS),
    productOffering: offeringRequired ? offering : offering.optional(),
    product: z.object({ productCharacteristic: z.array(characteristic).optional() }).passthrough().optional(),
    productOrderItem: z.array(self).optional(),
  }).passthrough()) as z.ZodType<Tmf622OrderItem>;
  return self;
}

export const productOrderSchema = orderSchema(orderItem);
const productOrderSchemaOfferingOptional = orderSchema(orderItemOfferingOptional);

function orderSchema(item: z.ZodType<Tmf622OrderItem>) {
  return z.object({
    id: z.string().optional(),
    externalId: z.string().optional(),
    relatedParty: z.array(z.object({ id: z.string(), role: z.string().optional() }).passthrough()).optional(),
    productOrderItem: z.array(item).min(1),
  }).passthrough();
}

export type Tmf622ProductOrder = z.infer<typeof productOrderSchema>;

export type OrderParse = { ok: true; order: Tmf622ProductOrder } | { ok: false; problems: string[] };

/**
 * `offeringRequired: false`: an item without `productOffering` is valid here (the intake then
 * rejects the order naming it, as an item no plan covers); the default refuses it as invalid.
 */
export function parseProductOrder(value: unknown, options: { offeringRequired?: boolean } = {}): OrderParse {
  // The body is stored whole (jsonb): text PostgreSQL refuses is a problem of the order, named.
  const bad = findUnstorable(value);
  if (bad) return { ok: false, problems: [`${bad.path}: ${bad.problem}`] };
  const parsed = (options.offeringRequired === false ? productOrderSchemaOfferingOptional : productOrderSchema).safeParse(value);
  if (parsed.success) return { ok: true, order: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(order)'}: ${issue.message}`) };
}

export function characteristicsOf(item: Tmf622OrderItem): Record<string, CharacteristicValue> {
  const out: Record<string, CharacteristicValue> = {};
  for (const c of item.product?.productCharacteristic ?? []) out[c.name] = c.value;
  return out;
}

export function customerOf(order: Tmf622ProductOrder): string | null {
  const party = order.relatedParty?.find((p) => p.role === undefined || /customer/i.test(p.role));
  return party?.id ?? null;
}

// --- what an order says: the duplicate / conflict test of the intake -------------------------

/**
 * Fields of a TMF622 v4 ProductOrder the server assigns (ProductOrder_Create skips them), and of
 * its items at any depth: not part of what the customer ordered. A client that resubmits what it
 * got back from the server still resubmits the same order.
 */
const SERVER_ASSIGNED_ORDER = new Set(['id', 'href', 'state', 'orderDate', 'completionDate', 'expectedCompletionDate']);
const SERVER_ASSIGNED_ITEM = new Set(['state']);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * The order as the customer stated it: the validated order as it is stored (JSON: undefined
 * fields dropped), without the fields the server assigns. Objects compare by their keys (their
 * order in the text does not matter); arrays by position (items, characteristics and related
 * parties in another order make another body).
 */
export function orderContent(order: unknown): Json {
  const plain = JSON.parse(JSON.stringify(order ?? null)) as Json;
  return without(plain, SERVER_ASSIGNED_ORDER);
}

function without(value: Json, assigned: Set<string>): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: { [key: string]: Json } = {};
  for (const [key, v] of Object.entries(value)) {
    if (assigned.has(key)) continue;
    out[key] = key === 'productOrderItem' && Array.isArray(v) ? v.map((item) => without(item, SERVER_ASSIGNED_ITEM)) : v;
  }
  return out;
}

/** JSON with the keys of every object sorted: one text for one content. */
function canonicalJson(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] as Json)}`).join(',')}}`;
}

/** The sha256 (hex) of the canonical JSON of `orderContent(order)`: stored as product_order.body_hash. */
export function orderBodyHash(order: unknown): string {
  return createHash('sha256').update(canonicalJson(orderContent(order))).digest('hex');
}

/**
 * The first field where two orders' contents differ (server-assigned fields left out), named as a
 * validation problem names a field (`productOrderItem.0.action`; '' for the whole order). Walks
 * the submitted order's fields in its own order, then the fields only the stored one has. Null
 * when they say the same.
 */
export function firstDifference(stored: unknown, submitted: unknown): string | null {
  return differ(orderContent(stored), orderContent(submitted), []);
}

function differ(a: Json | undefined, b: Json | undefined, path: (string | number)[]): string | null {
  const here = (): string => path.join('.');
  if (a === undefined || b === undefined || a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    return a === b ? null : here();
  }
  if (Array.isArray(a) !== Array.isArray(b)) return here();
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const d = differ(a[i], b[i], [...path, i]);
      if (d) return d;
    }
    return null;
  }
  const x = a as { [key: string]: Json };
  const y = b as { [key: string]: Json };
  for (const key of [...Object.keys(y), ...Object.keys(x).filter((k) => !Object.hasOwn(y, k))]) {
    const d = differ(Object.hasOwn(x, key) ? x[key] : undefined, Object.hasOwn(y, key) ? y[key] : undefined, [...path, key]);
    if (d) return d;
  }
  return null;
}
