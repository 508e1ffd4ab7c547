// `npm start` (o2a demo): two orders complete, a third is cancelled on the way with its
// compensations, a bundle completes partly; exit 0 only when each ends as it should.
import { expect, it } from 'vitest';
import { demo } from '../../runtime/cli-commands.js';
import { Capture, samplePlans } from './harness.js';

it('npm start runs the orders, the cancellation and the partly complete bundle, and exits 0', async () => {
  const out = new Capture();
  const code = await demo(out, { plans: await samplePlans(), table: false });
  expect(code).toBe(0);
  expect(out.text).toMatch(/cancel request cpo-\S+: done/);
  expect(out.text).toContain('undone, last step first: install_slot (cancel_appointment), router (release), ont (release)');
  expect(out.text).toContain('order po-demo-cancel: cancelled  (customer sees: Cancelled)');
  expect(out.text).toMatch(/item 1\.fiber\s+held\s+HomeFiber1G/);
  expect(out.text).toMatch(/order po-demo-family: partial {2}\(customer sees: Partly completed/);
}, 120_000);
