// Hover: catalog entries, steps with their resolved policies in words, diagnostic codes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hover } from 'vscode-languageserver-protocol';
import { cursor, header, rangeOf, startSession, type LspSession } from './harness.js';
import { plan, templates } from './fixtures.js';

/** A documented template written loosely (the hover prints it as `o2a fmt` would). */
const routerTemplate = `${header}/// Reserve the Wi-Fi router; a self-install order skips it.
template RouterReservation: resource_reservation {
  owner   resource-inventory
  resource WIFI_ROUTER
  timeout 15m // the vendor's SLA
  on timeout hold customer "Pick a router model"
  retry 2 exponential 30s max 2m
  compensate release
  skip when (item.installation == "self")
}
`;

/** `plan` with plan defaults and two steps from RouterReservation. */
const routerPlan = plan
  .replace('  billing starts', '  defaults { timeout 2h }\n  billing starts')
  .replace(
    '  step network:',
    '  /// The router the customer plugs the ONT into.\n  step router from RouterReservation after internet, ont\n  step spare_router from RouterReservation after router\n  step network:',
  );

describe('hover', () => {
  let s: LspSession;
  let n = 0;
  beforeAll(async () => {
    s = await startSession({ files: { 'lib/templates.o2a': templates, 'lib/router.o2a': routerTemplate } });
  });
  afterAll(() => s.stop());

  async function hover(source: string): Promise<{ text: string; hover: Hover | null }> {
    const { text, position } = cursor(source);
    const uri = await s.open(`lib/h${n++}.o2a`, text);
    await s.diagnostics(uri, 1);
    const result = await s.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position });
    await s.close(uri);
    return { text, hover: result };
  }
  const value = (h: Hover | null) => (h?.contents as { value: string } | undefined)?.value ?? '';

  it('shows a catalog entry with its description and the snapshot version', async () => {
    const { text, hover: h } = await hover(plan.replace('resource ONT_GPON', 'resource ONT_<|>GPON'));
    expect(value(h)).toContain('**resource specification**');
    expect(value(h)).toContain('Optical network terminal for GPON');
    expect(value(h)).toContain('_catalog telco-core 2026.11_');
    expect(h?.range).toEqual(rangeOf(text, 'ONT_GPON'));
  });

  it('shows a step with its resolved policies in words and where each came from', async () => {
    const { hover: h } = await hover(plan.replace('after ont {', 'after o<|>nt {'));
    const v = value(h);
    expect(v).toContain('**step** `ont`: resource_reservation from template CpeReservation, after internet (plan Fiber)');
    expect(v).toContain('- **owner** resource-inventory _(catalog default)_');
    expect(v).toContain('- **timeout** 10 minutes _(from template CpeReservation)_, then fail the step _(catalog default)_');
    expect(v).toContain('- **retry** 5 retries every 1 minute, a new idempotency key each attempt _(from template CpeReservation)_');
    expect(v).toContain('- **compensation** release _(from template CpeReservation)_');
  });

  it('says what an activation does on timeout and how it retries', async () => {
    const { hover: h } = await hover(plan.replace('step network:', 'step netw<|>ork:'));
    const v = value(h);
    expect(v).toContain('- **timeout** 5 minutes, then treat the outcome as unknown and reconcile _(set on the step)_');
    expect(v).toContain('- **retry** 2 retries every 1 minute, same idempotency key _(set on the step)_');
  });

  it('a step of an unknown kind: the written properties, and no catalog default made up', async () => {
    // Nothing written: no timeout of 0, no owner, and the catalog defaults said to be unknown.
    const { hover: bare } = await hover(plan.replace('step verify: verification', 'step ver<|>ify: no_such_kind'));
    const v = value(bare);
    expect(v).toContain('**step** `verify`: no_such_kind (unknown step kind), after network (plan Fiber)');
    expect(v).not.toMatch(/\b0 seconds\b/);
    expect(v).not.toContain('(catalog default)');
    expect(v).toContain('- **owner** not written; the catalog default is unknown: step kind `no_such_kind` is unknown');
    expect(v).toContain('- **timeout** not written; the catalog default is unknown: step kind `no_such_kind` is unknown');
    expect(v).toContain('- **on timeout** not written; the catalog default is unknown: step kind `no_such_kind` is unknown');
    expect(v).toContain('- **retry** not written; the catalog default is unknown: step kind `no_such_kind` is unknown');
    expect(v).toContain('- **compensation** none written; whether the step needs one is unknown: step kind `no_such_kind` is unknown');

    // Written on the step: shown as written, each with where it came from.
    const { hover: written } = await hover(plan.replace('step verify: verification after network',
      'step ver<|>ify: no_such_kind after network {\n    owner field-service  timeout 5m  on timeout hold customer\n    retry 2 every 1m  irreversible\n  }'));
    const w = value(written);
    expect(w).toContain('- **owner** field-service _(set on the step)_');
    expect(w).toContain('- **timeout** 5 minutes _(set on the step)_');
    expect(w).toContain('- **on timeout** hold for the customer _(set on the step)_');
    expect(w).toContain('- **retry** 2 retries every 1 minute, a new idempotency key each attempt _(set on the step)_');
    expect(w).toContain('- **compensation** irreversible _(set on the step)_');
    expect(w).not.toContain('catalog default');
  });

  it('a step of an unknown kind takes what its template and the plan defaults give, the rest unknown', async () => {
    const source = `${header}template Odd: no_such_kind {\n  retry 3 every 30s\n  on timeout unknown then reconcile\n}\n\n${routerPlan.slice(header.length)
      .replace('step verify: verification after network', 'step verify from Odd after network')}`;
    const { hover: h } = await hover(source.replace('step verify from Odd', 'step ver<|>ify from Odd'));
    const v = value(h);
    expect(v).toContain('**step** `verify`: no_such_kind (unknown step kind) from template Odd, after network (plan Fiber)');
    expect(v).toContain('- **timeout** 2 hours _(plan defaults)_');
    expect(v).toContain('- **on timeout** treat the outcome as unknown and reconcile _(from template Odd)_');
    expect(v).toContain('- **retry** 3 retries every 30 seconds, a new idempotency key each attempt _(from template Odd)_');
    expect(v).toContain('- **owner** not written; the catalog default is unknown: step kind `no_such_kind` is unknown');
    expect(v).not.toMatch(/\b0 seconds\b/);
    expect(v).not.toContain('(catalog default)');
  });

  it('explains the code of a diagnostic under the cursor', async () => {
    const { hover: h } = await hover(plan.replace('resource ONT_GPON', 'resource ONT_GP<|>OM'));
    const v = value(h);
    expect(v).toContain('**O2A2014**');
    expect(v).toContain("_help:_ did you mean 'ONT_GPON'?");
    expect(v).toContain('o2a explain O2A2014');
  });

  it('returns nothing on whitespace', async () => {
    const { hover: h } = await hover(plan.replace('  completion all', '<|>  completion all'));
    expect(h).toBeNull();
  });

  it('shows a used template: its doc, kind, properties as the formatter prints them, and the steps that use it', async () => {
    const { text, hover: h } = await hover(routerPlan.replace('step router from RouterReservation', 'step router from Router<|>Reservation'));
    const v = value(h);
    expect(h?.contents).toMatchObject({ kind: 'markdown' });
    expect(v).toContain('**template** `RouterReservation`: resource_reservation');
    expect(v).toContain('Reserve the Wi-Fi router; a self-install order skips it.');
    expect(v).toContain([
      '```o2a',
      'template RouterReservation: resource_reservation {',
      '  owner resource-inventory',
      '  resource WIFI_ROUTER',
      "  timeout 15m // the vendor's SLA",
      '  on timeout hold customer "Pick a router model"',
      '  retry 2 exponential 30s max 2m',
      '  compensate release',
      '  skip when (item.installation == "self")',
      '}',
      '```',
    ].join('\n'));
    expect(v).toContain('Used by 2 steps: `router`, `spare_router` (plan Fiber)');
    expect(h?.range).toEqual(rangeOf(text, 'RouterReservation'));
  });

  it('shows a template at its declaration, with how many steps use it', async () => {
    const source = `${header}/// Shared by both reservations.\ntemplate Res<|>erve: resource_reservation {\n  compensate release\n}\n\n${routerPlan.slice(header.length)
      .replace('step ont from CpeReservation', 'step ont from Reserve')
      .replace('step spare_router from RouterReservation', 'step spare_router from Reserve')}`;
    const { text, hover: h } = await hover(source);
    const v = value(h);
    expect(v).toContain('**template** `Reserve`: resource_reservation');
    expect(v).toContain('Shared by both reservations.');
    expect(v).toContain('```o2a\ntemplate Reserve: resource_reservation {\n  compensate release\n}\n```');
    expect(v).toContain('Used by 2 steps: `ont`, `spare_router` (plan Fiber)');
    expect(h?.range).toEqual(rangeOf(text, 'Reserve'));
  });

  it('says when no step uses a template', async () => {
    const { hover: h } = await hover(`${header}template Un<|>used: verification {\n  timeout 1m\n}\n`);
    expect(value(h)).toContain('No step uses it.');
  });

  it('shows a step with its effective catalog entry and rule after template and defaults layering', async () => {
    const { text, hover: h } = await hover(routerPlan.replace('after router', 'after rou<|>ter'));
    const v = value(h);
    expect(v).toContain('**step** `router`: resource_reservation from template RouterReservation, after internet, ont (plan Fiber)');
    expect(v).toContain('The router the customer plugs the ONT into.');
    expect(v).toContain('- **resource** `WIFI_ROUTER` _(from template RouterReservation)_');
    expect(v).toContain('- **timeout** 15 minutes, then hold for the customer ("Pick a router model") _(from template RouterReservation)_');
    expect(v).toContain('- **retry** 2 retries, backing off exponentially from 30 seconds up to 2 minutes, a new idempotency key each attempt _(from template RouterReservation)_');
    expect(v).toContain('- **rule** `skip when (item.installation == "self")` _(from template RouterReservation)_');
    expect(h?.range).toEqual(rangeOf(text, 'router', 3)); // the one after `after`
  });

  it('shows the plan defaults a step inherits and the rule written on the step', async () => {
    const { hover: h } = await hover(routerPlan.replace('step verify: verification after network', 'step ver<|>ify: verification after network {\n    skip when item.installation == "self" and item.routerIncluded\n  }'));
    const v = value(h);
    expect(v).toContain('- **timeout** 2 hours _(plan defaults)_, then fail the step _(catalog default)_');
    expect(v).toContain('- **rule** `skip when item.installation == "self" and item.routerIncluded` _(set on the step)_');
  });

  it('still shows templates and steps in a file with a syntax error', async () => {
    const broken = routerPlan.replace('step verify: verification after network', 'step verify: verification after network { timeout }');
    const { hover: tpl } = await hover(broken.replace('step router from RouterReservation', 'step router from Router<|>Reservation'));
    expect(value(tpl)).toContain('  skip when (item.installation == "self")');
    const { hover: step } = await hover(broken.replace('step spare_router', 'step spare_rou<|>ter'));
    expect(value(step)).toContain('- **rule** `skip when (item.installation == "self")` _(from template RouterReservation)_');
  });

  it('shows a step kind with its owner, whether its adapter is idempotent, its outcomes and compensations', async () => {
    const { text, hover: h } = await hover(plan.replace('step network: activation', 'step network: activ<|>ation'));
    const v = value(h);
    expect(v).toContain('**step kind** Activation (`activation`)');
    expect(v).toContain('- owner component: activation-gateway');
    expect(v).toContain('- adapter not idempotent: a retry must keep the idempotency key (`same key`)');
    expect(v).toContain('- outcomes: rejected');
    expect(v).toContain('- compensations: deactivate');
    expect(h?.range).toEqual(rangeOf(text, 'activation', 1));
    const { hover: idempotent } = await hover(plan.replace('step verify: verification', 'step verify: verifi<|>cation'));
    expect(value(idempotent)).toContain('- idempotent adapter: a repeated command is applied at most once');
  });

  it('shows an offering with its lifecycle status and mandatory services', async () => {
    const { hover: h } = await hover(plan.replace('for offering HOME_FIBER_1G', 'for offering HOME_FIBER_<|>1G'));
    const v = value(h);
    expect(v).toContain('- lifecycle: active');
    expect(v).toContain('- mandatory services: INTERNET_ACCESS_CFS');
  });

  it('says a retired entry is retired and what replaces it', async () => {
    const { hover: offering } = await hover(plan.replace('for offering HOME_FIBER_1G', 'for offering HOME_FIBER_5<|>00M'));
    expect(value(offering)).toContain('- lifecycle: **retired**, replaced by `HOME_FIBER_1G`');
    const { hover: resource } = await hover(plan.replace('resource ONT_GPON', 'resource ONT_GPON_<|>V1'));
    expect(value(resource)).toContain('- lifecycle: **retired**, replaced by `ONT_GPON`');
  });

  it('returns nothing on a comment or on whitespace inside the range of a diagnostic', async () => {
    const twice = plan.replace('timeout 5m  on timeout', 'timeout 5m  timeout /* per the SLA */  7m  on timeout');
    const { hover: comment } = await hover(twice.replace('per the SLA', 'per the S<|>LA'));
    expect(comment).toBeNull();
    const { hover: space } = await hover(twice.replace('*/  7m', '*/ <|> 7m'));
    expect(space).toBeNull();
    const { hover: named } = await hover(twice.replace('*/  7m', '*/  7<|>m'));
    expect(value(named)).toContain('**O2A2033**');
  });

  it('answers from what the server holds on a 5,000-line file', async () => {
    const steps = Array.from({ length: 1000 }, (_, i) =>
      `  /// Step ${i}.\n  step s${i} from CpeReservation${i > 0 ? ` after s${i - 1}` : ''} {\n    resource ONT_GPON\n  }\n\n`).join('');
    const big = `${header}plan Big for offering HOME_FIBER_1G {\n${steps}  completion all\n}\n`;
    expect(big.split('\n').length).toBeGreaterThanOrEqual(5000);
    const uri = await s.open('lib/big.o2a', big);
    await s.diagnostics(uri, 1);
    const position = cursor(big.replace('step s999 from CpeRes', 'step s999 from CpeRes<|>')).position;
    const times: number[] = [];
    let h: Hover | null = null;
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      h = await s.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position });
      times.push(performance.now() - t);
    }
    const { publish } = await s.request<{ publish: { checkMs: number[] } }>('o2a/stats', {});
    await s.close(uri);
    expect(value(h)).toContain('Used by 1000 steps: `s0`, `s1`');
    expect(value(h)).toContain('and 990 more');
    // The analysis behind the published diagnostics is reused: a hover costs a fraction of a check.
    expect(Math.min(...times)).toBeLessThan(Math.min(100, publish.checkMs.at(-1)! / 4));
  });
});
