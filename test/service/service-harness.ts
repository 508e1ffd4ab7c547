// The service under test: a runtime from the runtime tests' harness (any store, a manual clock),
// the sample plans registered, and buildServer on it; requests by fastify.inject or over a socket.
import type { FastifyInstance } from 'fastify';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../runtime/store/store.js';
import { buildServer, type ServerOptions } from '../../service/server.js';
import { disposeRuntime, newRuntime, samplePlans, type StoreUnderTest } from '../runtime/harness.js';

export const PO = '/tmf-api/productOrderingManagement/v4';
export const SO = '/tmf-api/serviceOrdering/v4';

export interface ServiceUnderTest {
  app: FastifyInstance;
  runtime: Runtime;
  store: Store;
  close(): Promise<void>;
}

export async function startService(storeUnderTest: StoreUnderTest, options: Omit<ServerOptions, 'runtime'> = {}): Promise<ServiceUnderTest> {
  const { runtime, store } = await newRuntime(storeUnderTest);
  await runtime.registerPlans(await samplePlans() as CompiledPlan[]);
  const app = await buildServer({ runtime, ...options });
  return {
    app, runtime, store,
    close: async () => { await app.close(); await disposeRuntime(runtime); },
  };
}

/** A TMF622 v4 ProductOrder_Create body for one offering (RelatedParty requires @referredType in v4). */
export function orderBody(id: string | undefined, offering: string, characteristics: Record<string, string | number | boolean> = {}): Record<string, unknown> {
  return {
    ...(id !== undefined ? { id } : {}),
    externalId: `crm-${id ?? 'x'}`,
    category: 'residential',
    relatedParty: [{ id: 'cust-42', role: 'customer', '@referredType': 'Individual' }],
    productOrderItem: [{
      id: '1', action: 'add', productOffering: { id: offering },
      product: { productCharacteristic: Object.entries(characteristics).map(([name, value]) => ({ name, value })) },
    }],
  };
}

/** How many rows the runtime holds in each table an intake or a request writes. */
export async function rowCounts(store: Store): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ['product_order', 'product_order_item', 'saga', 'saga_step', 'outbox', 'event_log', 'cancel_request', 'amendment_request']) {
    const [row] = await store.query<{ n: unknown }>(`SELECT count(*) AS n FROM ${table}`);
    counts[table] = Number(row?.n ?? 0);
  }
  return counts;
}
