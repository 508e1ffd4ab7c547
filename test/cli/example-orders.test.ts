// examples/orders/: one TMF622 v4 product order for every sample offering (issue #13). Each is
// valid against TMF622 v4's ProductOrder (the schema `o2a serve` checks requests with, unknown
// fields refused) and completes when run through `o2a run` against the sample plans.
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { main } from '../../cli/main.js';
import { tmf622Schema, TMF622_SCHEMA_ID } from '../../service/tmf-schemas.js';

const dir = 'examples/orders';
const examples = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

function capture() {
  let text = '';
  const stream = new Writable({ write(chunk, _enc, cb) { text += String(chunk); cb(); } });
  return { stream, text: () => text };
}

/**
 * Every offering and action the sample plans fulfil (plans and bundles; without an `action` clause
 * `add`, or `modify` for the modify offering), as `<offering> <action>`.
 */
function sampleOfferings(): string[] {
  const pairs = new Set<string>();
  for (const f of readdirSync('plans').filter((n) => n.endsWith('.o2a'))) {
    for (const m of readFileSync(join('plans', f), 'utf8').matchAll(/^(?:plan|bundle) \w+(?: version \d+)? for offering (\w+)(?: action ([\w, ]+))? \{/gm)) {
      const actions = m[2]?.split(',').map((a) => a.trim()) ?? [m[1] === 'FIBER_SPEED_CHANGE' ? 'modify' : 'add'];
      for (const action of actions) pairs.add(`${m[1]} ${action}`);
    }
  }
  return [...pairs].sort();
}

interface Item { action: string; productOffering: { id: string }; productOrderItem?: Item[] }
const orderOf = (file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as { id: string; productOrderItem: Item[] };

describe('examples/orders', () => {
  it('has an order for every sample offering and action a plan fulfils (OTT streaming inside the Family Pack)', () => {
    const covered = new Set<string>();
    const visit = (item: Item) => {
      // A noChange item runs no plan: it is in an example for context.
      if (item.action !== 'noChange') covered.add(`${item.productOffering.id} ${item.action}`);
      for (const child of item.productOrderItem ?? []) visit(child);
    };
    for (const f of examples) for (const item of orderOf(f).productOrderItem) visit(item);
    expect([...covered].sort()).toEqual(sampleOfferings());
    expect(sampleOfferings()).toEqual(expect.arrayContaining(['HOME_FIBER_1G delete', 'MOBILE_POSTPAID delete', 'FIBER_SPEED_CHANGE modify']));
    expect(new Set(examples.map((f) => orderOf(f).id)).size).toBe(examples.length);
  });

  it('each is a valid TMF622 v4 ProductOrder', () => {
    const ajv = new Ajv({ removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: true, strict: false });
    (addFormats as unknown as (a: Ajv) => void)(ajv);
    ajv.addSchema(tmf622Schema());
    const validate = ajv.getSchema(`${TMF622_SCHEMA_ID}#/definitions/ProductOrder`)!;
    for (const f of examples) {
      const ok = validate(orderOf(f));
      expect(ok, `${f}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
    // The check can fail: a field TMF622 does not define is refused.
    expect(validate({ ...orderOf(examples[0]!), colour: 'blue' })).toBe(false);
  });

  for (const file of examples) {
    it(`o2a run --plan plans --order ${dir}/${file} completes`, async () => {
      const out = capture();
      const err = capture();
      const code = await main(['node', 'o2a', 'run', '--plan', 'plans', '--order', join(dir, file), '--json'], { stdout: out.stream, stderr: err.stream });
      expect(err.text()).toBe('');
      const view = JSON.parse(out.text()) as { productOrderId: string; internalState: string; warnings?: unknown; items: { state: string }[] };
      expect(view).toMatchObject({ productOrderId: orderOf(file).id, internalState: 'completed' });
      expect(view.warnings).toBeUndefined();
      expect(view.items.every((i) => i.state === 'completed')).toBe(true);
      expect(code).toBe(0);
    }, 120_000);
  }
});
