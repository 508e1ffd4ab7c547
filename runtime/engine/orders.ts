// TMF622 v4 product order intake: the subset of ProductOrder_Create the runtime reads.
import { z } from 'zod';
import type { CharacteristicValue } from './rules.js';

const characteristic = z.object({
  name: z.string(),
  value: z.union([z.string(), z.number(), z.boolean()]),
}).passthrough();

export interface Tmf622OrderItem {
  id: string;
  action: string;
  productOffering?: { id: string; name?: string };
  product?: { productCharacteristic?: { name: string; value: CharacteristicValue }[] };
  productOrderItem?: Tmf622OrderItem[];
}

const orderItem: z.ZodType<Tmf622OrderItem> = z.lazy(() => z.object({
  id: z.string().min(1),
  action: z.string(),
  productOffering: z.object({ id: z.string(), name: z.string().optional() }).passthrough().optional(),
  product: z.object({ productCharacteristic: z.array(characteristic).optional() }).passthrough().optional(),
  productOrderItem: z.array(orderItem).optional(),
}).passthrough());

export const productOrderSchema = z.object({
  id: z.string().optional(),
  externalId: z.string().optional(),
  relatedParty: z.array(z.object({ id: z.string(), role: z.string().optional() }).passthrough()).optional(),
  productOrderItem: z.array(orderItem).min(1),
}).passthrough();

export type Tmf622ProductOrder = z.infer<typeof productOrderSchema>;

export type OrderParse = { ok: true; order: Tmf622ProductOrder } | { ok: false; problems: string[] };

export function parseProductOrder(value: unknown): OrderParse {
  const parsed = productOrderSchema.safeParse(value);
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
