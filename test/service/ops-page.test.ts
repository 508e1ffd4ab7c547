// The ops page in headless Chromium (Debian's chromium through playwright-core; never a browser
// download), against a real server on 127.0.0.1 whose runtime runs its worker loops on the wall
// clock: orders by state, the resume button (refused without the token, then working end to
// end), an order's step graph coloured by its steps' states with the customer status beside the
// internal state, and the event trail by correlation id. Writes out/ops-page.png and
// out/ops-order.png; with O2A_UPDATE_SCREENSHOTS=1 also the README's docs/ops-page.png and docs/ops-order.png.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import { Runtime } from '../../runtime/runtime.js';
import { migrate } from '../../runtime/store/migrate.js';
import { disposeRuntime, homeFiberOrder, mobileOrder, samplePlans, storesUnderTest } from '../runtime/harness.js';
import { opsServer, TOKEN } from './ops-helpers.js';

const CHROMIUM = process.env.O2A_CHROMIUM ?? '/usr/bin/chromium';
const found = existsSync(CHROMIUM);
if (!found) console.warn(`ops page test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set O2A_CHROMIUM)`);

const plans = await samplePlans();
const [pglite] = await storesUnderTest();

describe.skipIf(!found)('ops page in headless Chromium', () => {
  let runtime: Runtime;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let base: string;

  const step = (id: string) => page.locator(`.graph svg g.step[data-id="${id}"]`);
  const colour = (id: string) => step(id).locator('rect').getAttribute('fill');

  async function waitForStates(expected: Record<string, string>): Promise<void> {
    const until = Date.now() + 20_000;
    for (;;) {
      const rows = await runtime.store.query<{ id: string; state: string }>('SELECT id, state FROM product_order WHERE id = ANY($1::text[])', [Object.keys(expected)]);
      const now = Object.fromEntries(rows.map((r) => [r.id, r.state]));
      if (Object.entries(expected).every(([id, state]) => now[id] === state)) return;
      if (Date.now() > until) throw new Error(`orders did not reach ${JSON.stringify(expected)}: ${JSON.stringify(now)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function waitForStep(orderId: string, stepId: string, state: string): Promise<void> {
    const until = Date.now() + 20_000;
    for (;;) {
      const rows = await runtime.store.query<{ state: string }>(
        'SELECT st.state FROM saga_step st JOIN saga s ON s.id = st.saga_id WHERE s.product_order_id = $1 AND st.step_id = $2', [orderId, stepId]);
      if (rows[0]?.state === state) return;
      if (Date.now() > until) throw new Error(`step ${stepId} of ${orderId} did not reach ${state}: ${rows[0]?.state}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  beforeAll(async () => {
    const store = await (pglite as NonNullable<typeof pglite>).open();
    await migrate(store);
    runtime = new Runtime({ store, workerId: 'ops-page' });
    await runtime.registerPlans(plans as CompiledPlan[]);
    app = await opsServer(runtime, TOKEN);
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    runtime.start(2);
    for (let i = 1; i <= 3; i++) await runtime.submitOrder(homeFiberOrder(`po-page-${i}`));
    await runtime.submitOrder(mobileOrder('po-page-mobile'));
    await runtime.submitOrder(homeFiberOrder('po-page-fall'), { scenario: { steps: { ont: { outcome: 'rejected', reason: 'warehouse out of stock' } } } });
    await runtime.submitOrder({ ...(homeFiberOrder('po-page-rejected') as object), productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'NO_SUCH_OFFER' } }] });
    // Its verification answers in 5 minutes: cancelled meanwhile, the plan asks for an approval.
    await runtime.submitOrder(homeFiberOrder('po-page-cancel'), { scenario: { steps: { verify: { delayMs: 300_000 } } } });
    await waitForStates({ 'po-page-1': 'completed', 'po-page-2': 'completed', 'po-page-3': 'completed', 'po-page-mobile': 'completed', 'po-page-fall': 'held' });
    await waitForStep('po-page-cancel', 'verify', 'STARTED');
    expect(await runtime.engine.cancel({ productOrderId: 'po-page-cancel', reason: 'moving abroad' })).toMatchObject({ ok: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    // Nothing but the service itself is ever asked for.
    await page.route((url) => !url.href.startsWith(base), (route) => route.abort());
    mkdirSync('out', { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    if (runtime) await disposeRuntime(runtime);
  });

  it('shows orders by state and the fallout case; resume is refused without the token, then completes the order', async () => {
    const foreign: string[] = [];
    page.on('request', (request) => { if (!request.url().startsWith(base)) foreign.push(request.url()); });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // (The browser reports the 401 of the resume without the token: expected, asked for below.)
    page.on('console', (message) => { if (message.type() === 'error' && !message.text().includes('status of 401')) errors.push(message.text()); });

    // The held order's graph: the reservation that failed in red, what came before it in green.
    await page.goto(`${base}/ops/orders/po-page-fall`);
    expect(await page.locator('#internal-state').textContent()).toBe('held');
    expect(await step('ont').getAttribute('data-state')).toBe('FAILED');
    expect(await colour('ont')).toBe('#fee2e2');
    expect(await step('ont').locator('tspan').textContent()).toBe('FAILED');
    expect(await step('internet').getAttribute('data-state')).toBe('SUCCEEDED');
    expect(await colour('internet')).toBe('#dcfce7');

    await page.goto(`${base}/ops`);
    const count = (state: string) => page.locator(`#orders-by-state tr[data-state="${state}"] td.num`).textContent();
    expect(await count('completed')).toBe('4');
    expect(await count('held')).toBe('1');
    expect(await count('rejected')).toBe('1');
    const row = page.locator('#fallout tr', { hasText: 'po-page-fall' });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.textContent()).toContain('warehouse out of stock');
    await page.screenshot({ path: 'out/ops-page.png', fullPage: true });

    // Without the token the guarded endpoint answers 401 and the page says what to do.
    const resume = row.getByRole('button', { name: 'Resume' });
    const result = row.locator('.result');
    await resume.click();
    await expect.poll(() => result.textContent()).toContain('API token');
    expect(await runtime.store.query("SELECT state FROM fallout_case WHERE product_order_id = 'po-page-fall'")).toEqual([{ state: 'OPEN' }]);

    await page.fill('#token', TOKEN);
    await resume.click();
    await expect.poll(() => result.textContent(), { timeout: 20_000 }).toContain('order completed');
    expect(await result.textContent()).toContain('resumed from step ont');
    expect(await result.textContent()).toContain('customer sees: "Service active"');
    await waitForStates({ 'po-page-fall': 'completed' });

    // The token stays in the tab: a reload keeps it, and the dashboard no longer lists the case.
    await page.reload();
    expect(await page.inputValue('#token')).toBe(TOKEN);
    expect(await count('completed')).toBe('5');
    expect(await page.locator('#fallout-none').textContent()).toContain('no open fallout cases');
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("shows an order's step graph coloured by its steps' states, the customer status beside the internal state, and its trail", async () => {
    // A second order falls out, to see a FAILED step in red and the customer's text for a held order.
    await runtime.submitOrder(homeFiberOrder('po-page-held'), { scenario: { steps: { install: { outcome: 'no_access' } } } });
    await waitForStates({ 'po-page-held': 'held' });
    await page.goto(`${base}/ops`);
    await page.locator('#orders-by-state a', { hasText: 'held' }).click();
    await page.locator('#orders a', { hasText: 'po-page-held' }).click();
    expect(page.url()).toBe(`${base}/ops/orders/po-page-held`);

    expect(await page.locator('#internal-state').textContent()).toBe('held');
    expect(await page.locator('#customer-status').textContent()).toBe('Action needed: please reschedule');
    const item = page.locator('#items tr[data-item="1"]');
    expect(await item.locator('td').nth(1).textContent()).toBe('held');
    expect(await item.locator('td').nth(2).textContent()).toBe('Action needed: please reschedule');

    // Nobody home: the work order waits for the customer (blue), the appointment before it is done.
    expect(await step('install_slot').getAttribute('data-state')).toBe('SUCCEEDED');
    expect(await colour('install_slot')).toBe('#dcfce7');
    expect(await step('install').getAttribute('data-state')).toBe('WAITING');
    expect(await colour('install')).toBe('#dbeafe');
    expect(await step('install').locator('tspan').textContent()).toBe('WAITING');
    expect(await step('network').getAttribute('data-state')).toBe('NOT_STARTED');
    expect(await colour('network')).toBe('#f9fafb');
    // The picture is drawn (laid out), not only present in the markup.
    const box = await step('install').boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(50);
    // The picture whole: a window as wide as the graph.
    const graphWidth = Number(await page.locator('.graph svg').first().getAttribute('width'));
    await page.setViewportSize({ width: Math.max(1600, Math.ceil(graphWidth) + 80), height: 900 });
    await page.screenshot({ path: 'out/ops-order.png', fullPage: true });
    await page.setViewportSize({ width: 1600, height: 900 });

    // The resumed order: every step done, in green, and the customer's text for a completed order.
    await page.goto(`${base}/ops/orders/po-page-fall`);
    expect(await page.locator('#internal-state').textContent()).toBe('completed');
    expect(await page.locator('#customer-status').textContent()).toBe('Service active');
    for (const id of ['internet', 'ont', 'install', 'network', 'verify', 'notify']) {
      expect(await step(id).getAttribute('data-state')).toBe('SUCCEEDED');
      expect(await colour(id)).toBe('#dcfce7');
    }

    // The event trail by correlation id, from the order's page and from the search box.
    await page.getByRole('link', { name: /^Event trail of ota-/ }).click();
    expect(page.url()).toContain('/ops/trail?correlationId=ota-');
    expect(await page.locator('#trail tr[data-type="FalloutCaseRaised"]').count()).toBe(1);
    expect(await page.locator('#trail tr[data-type="ProductOrderStateChanged"]').count()).toBeGreaterThanOrEqual(3);
    const correlationId = new URL(page.url()).searchParams.get('correlationId') as string;
    await page.goto(`${base}/ops`);
    await page.fill('input[name="q"]', correlationId);
    await page.press('input[name="q"]', 'Enter');
    await page.waitForURL(`${base}/ops/orders/po-page-fall`);
  });

  it('takes an approval decision: asks who decides, then refuses the compensation and the order goes on', async () => {
    await page.goto(`${base}/ops`);
    const row = page.locator('#approvals tr', { hasText: 'po-page-cancel' });
    const result = row.locator('.result');
    await row.getByRole('button', { name: 'Refuse' }).click();
    await expect.poll(() => result.textContent()).toContain('enter your name');
    await page.fill('#operator', 'supervisor-7');
    await row.getByRole('button', { name: 'Refuse' }).click();
    await expect.poll(() => result.textContent()).toContain('refused by supervisor-7');
    const [approval] = await runtime.store.query<{ state: string; decided_by: string }>(
      "SELECT state, decided_by FROM approval WHERE product_order_id = 'po-page-cancel'");
    expect(approval).toEqual({ state: 'REFUSED', decided_by: 'supervisor-7' });
    await waitForStep('po-page-cancel', 'verify', 'STARTED');
    if (process.env.O2A_UPDATE_SCREENSHOTS === '1') {
      copyFileSync('out/ops-page.png', 'docs/ops-page.png');
      copyFileSync('out/ops-order.png', 'docs/ops-order.png');
    }
  });
});
