// Hover: catalog entries, steps with their resolved policies in words, diagnostic codes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hover } from 'vscode-languageserver-protocol';
import { cursor, rangeOf, startSession, type LspSession } from './harness.js';
import { plan, templates } from './fixtures.js';

describe('hover', () => {
  let s: LspSession;
  let n = 0;
  beforeAll(async () => {
    s = await startSession({ files: { 'lib/templates.o2a': templates } });
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
    expect(v).toContain('- **timeout** 10 minutes, then fail the step _(from template CpeReservation)_');
    expect(v).toContain('- **retry** 5 retries every 1 minute, a new idempotency key each attempt _(from template CpeReservation)_');
    expect(v).toContain('- **compensation** release _(from template CpeReservation)_');
  });

  it('says what an activation does on timeout and how it retries', async () => {
    const { hover: h } = await hover(plan.replace('step network:', 'step netw<|>ork:'));
    const v = value(h);
    expect(v).toContain('- **timeout** 5 minutes, then treat the outcome as unknown and reconcile _(set on the step)_');
    expect(v).toContain('- **retry** 2 retries every 1 minute, same idempotency key _(set on the step)_');
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
});
