// `o2a serve` as a child process: it says it binds 127.0.0.1 only without a token (even when
// asked for 0.0.0.0), takes an order sent with curl, runs it to completed with its own worker
// loops, answers readiness, and on SIGTERM closes cleanly (exit 0).
import { spawn } from 'node:child_process';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../compiler/project-root.js';
import { PO } from './service-harness.js';

const run = promisify(execFile);

async function curl(args: string[]): Promise<{ status: number; body: string }> {
  const { stdout } = await run('curl', ['-s', '-w', '\n%{http_code}', ...args]);
  const at = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) };
}

describe('o2a serve (child process)', () => {
  it('binds 127.0.0.1 without a token, takes an order by curl, completes it, and stops cleanly on SIGTERM', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, O2A_TSX: '1' };
    delete env.O2A_API_TOKEN;
    delete env.DATABASE_URL;
    const child = spawn(process.execPath, [join(projectRoot(), 'bin', 'o2a.js'), 'serve', '--port', '0', '--host', '0.0.0.0', '--log-level', 'silent'], {
      cwd: projectRoot(), env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const address = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`o2a serve did not start: ${stdout}${stderr}`)), 40_000);
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
          if (m) { clearTimeout(timer); resolve(m[1] as string); }
        });
        child.on('exit', () => reject(new Error(`o2a serve exited: ${stdout}${stderr}`)));
      });
      expect(stdout).toContain('no O2A_API_TOKEN configured: binding 127.0.0.1 only, not 0.0.0.0');
      expect(stdout).toMatch(/PGlite in memory; \d+ plans; worker loops on/);

      const order = JSON.stringify({
        id: 'po-cli-1', relatedParty: [{ id: 'cust-42', role: 'customer', '@referredType': 'Individual' }],
        productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'HOME_FIBER_1G' }, product: { productCharacteristic: [{ name: 'installation', value: 'technician' }] } }],
      });
      const posted = await curl(['-X', 'POST', `${address}${PO}/productOrder`, '-H', 'Content-Type: application/json', '-d', order]);
      expect(posted.status, posted.body).toBe(201);
      // The worker loops of the same process may have taken it further by the time the answer is written.
      expect(JSON.parse(posted.body)).toMatchObject({ id: 'po-cli-1', state: expect.stringMatching(/^(acknowledged|inProgress|completed)$/) });

      let state = '';
      for (let i = 0; i < 150 && state !== 'completed'; i++) {
        const read = await curl([`${address}${PO}/productOrder/po-cli-1?fields=state`]);
        state = (JSON.parse(read.body) as { state: string }).state;
        if (state !== 'completed') await new Promise((r) => setTimeout(r, 100));
      }
      expect(state).toBe('completed');
      expect((await curl([`${address}/readyz`])).status).toBe(200);
      // The service's other parts are served by the same process: metrics, the hub, callbacks, the ops page.
      const metrics = await curl([`${address}/metrics`]);
      expect(metrics.status).toBe(200);
      expect(metrics.body).toMatch(/^order_to_activate_completed_total\{[^}]*product_offering="HOME_FIBER_1G"[^}]*\} 1$/m);
      const hub = await curl(['-X', 'POST', `${address}${PO}/hub`, '-H', 'Content-Type: application/json', '-d', JSON.stringify({ callback: 'http://127.0.0.1:9/listener' })]);
      expect(hub.status, hub.body).toBe(201);
      const callback = await curl(['-X', 'POST', `${address}/o2a/v1/callbacks/work-orders`, '-H', 'Content-Type: application/json',
        '-d', JSON.stringify({ messageId: 'cb-1', productOrderId: 'po-cli-1', stepId: 'install', status: 'completed' })]);
      expect(callback.status, callback.body).toBe(409);
      const page = await curl([`${address}/ops`]);
      expect(page.status).toBe(200);
      expect(page.body).toContain('<h2>Orders by state</h2>');
      const orderPage = await curl([`${address}/ops/orders/po-cli-1`]);
      expect(orderPage.status, orderPage.body.slice(0, 200)).toBe(200);
      expect(orderPage.body).toContain('<h1>Order po-cli-1</h1>');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stdout).toContain('SIGTERM: closing');
    expect(stdout).toContain('o2a serve: stopped');
    expect(stderr).toBe('');
  }, 60_000);
});
