// `o2a amend` as the user sees it, through `main` on a PGlite data folder: an order is set going
// by a runtime that stops while the appointment waits for its (delayed) answer; `o2a amend`
// replans it and drives the runtime to the end. Exit codes: 0 done, 3 refused by the plan (or
// another amendment in progress), 1 refused input; nothing written for a refusal.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { ManualClock } from '../../runtime/clock.js';
import { Runtime } from '../../runtime/runtime.js';
import { openStore } from '../../runtime/store/store.js';
import { Capture, homeFiberOrder, samplePlans } from './harness.js';

const plans = await samplePlans();
const scratch: string[] = [];
afterAll(() => { for (const dir of scratch) rmSync(dir, { recursive: true, force: true }); });

describe('o2a amend on a PGlite folder', { timeout: 180_000 }, () => {
  it('replans the appointment (exit 0), refuses a speed change after activation with the plan\'s text (exit 3), bad input (exit 1)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'o2a-cli-amend-'));
    scratch.push(dir);
    const db = join(dir, 'db');
    const o2a = async (...args: string[]) => {
      const stdout = new Capture();
      const stderr = new Capture();
      const code = await main(['node', 'o2a', ...args, '--db', db], { stdout, stderr });
      return { code, stdout: stdout.text, stderr: stderr.text };
    };
    const runtime = await Runtime.open({ dataDir: db, clock: new ManualClock(new Date()) });
    try {
      await runtime.registerPlans(plans);
      expect(await runtime.submitOrder(homeFiberOrder('po-cli-a1'), { scenario: { steps: { install_slot: { delayMs: 3_600_000 } } } })).toMatchObject({ ok: true });
      await runtime.runUntilIdle();
    } finally {
      await runtime.close();
    }
    const count = async () => {
      const store = await openStore({ dataDir: db });
      try { return (await store.query('SELECT 1 FROM amendment_request')).length; } finally { await store.close(); }
    };

    const malformed = await o2a('amend', 'po-cli-a1', '--item', '1', '--change', 'appointment', '--with', '{"preferredDate":');
    expect(malformed.code).toBe(1);
    expect(malformed.stdout + malformed.stderr).toMatch(/error: with: not JSON/);
    const unknown = await o2a('amend', 'po-cli-a1', '--item', '1', '--change', 'colour', '--with', '{"x":1}', '--json');
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ ok: false, code: 'unknown-change', problems: [{ field: 'change' }] });
    expect(await count()).toBe(0);

    const amended = await o2a('amend', 'po-cli-a1', '--item', '1', '--change', 'appointment', '--with', '{"preferredDate":"2026-12-08"}', '--by', 'crm');
    expect(amended.stderr).toBe('');
    expect(amended.code).toBe(0);
    expect(amended.stdout).toMatch(/amendment request apo-\S+: done/);
    expect(amended.stdout).toContain('preferredDate: null -> "2026-12-08"');
    expect(amended.stdout).toMatch(/replanned install_slot: attempt 1 \(\S+\/install_slot\/0\) -> \S+\/install_slot\/1/);
    expect(amended.stdout).toMatch(/order po-cli-a1: completed/);

    const speed = await o2a('amend', 'po-cli-a1', '--item', '1', '--change', 'speed', '--with', '{"downloadMbps":2000}');
    expect(speed.code).toBe(3);
    expect(speed.stdout + speed.stderr).toContain('the line is active: place a speed change order');
    expect(await count()).toBe(1);
  });
});
