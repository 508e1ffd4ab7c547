// One large order in a fresh process: `node --import tsx bench/orders/child.ts <items> <database url | ''>`.
// Takes a Home Fiber order of <items> items (default characteristics), runs it to the end with the
// simulated components answering at once (a manual clock: timers and delays cost no waiting), and
// prints one JSON line: the time from the order's submission to its completion, and the process's
// peak RSS. The plans are compiled before the clock starts.
import { join } from 'node:path';
import { loadPlans } from '../../runtime/cli-commands.js';
import { ManualClock } from '../../runtime/clock.js';
import { Runtime } from '../../runtime/runtime.js';

const ROOT = join(import.meta.dirname, '..', '..');
const items = Number(process.argv[2] ?? 100);
const databaseUrl = process.argv[3] || undefined;

const { plans } = await loadPlans([join(ROOT, 'plans')], join(ROOT, 'catalogs', '2026.11'));
const runtime = await Runtime.open({ ...(databaseUrl ? { databaseUrl } : {}), clock: new ManualClock(new Date()) });
await runtime.registerPlans(plans);
const id = `po-bench-${items}-${Date.now()}`;
const order = {
  id, relatedParty: [{ id: 'cust-bench', role: 'customer' }],
  productOrderItem: Array.from({ length: items }, (_, i) => ({
    id: String(i + 1), action: 'add', productOffering: { id: 'HOME_FIBER_1G' },
    product: { productCharacteristic: [{ name: 'installation', value: 'technician' }] },
  })),
};
const started = performance.now();
const submitted = await runtime.submitOrder(order);
await runtime.settle();
const ms = performance.now() - started;
const [row] = await runtime.store.query<{ state: string }>('SELECT state FROM product_order WHERE id = $1', [id]);
await runtime.close();
process.stdout.write(`${JSON.stringify({ items, ok: submitted.ok, state: row?.state ?? null, ms, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
