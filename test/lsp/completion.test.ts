// Completion by context, over the protocol.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompletionItem, CompletionList } from 'vscode-languageserver-protocol';
import { cursor, header, startSession, type LspSession } from './harness.js';
import { plan, templates } from './fixtures.js';

describe('completion', () => {
  let s: LspSession;
  let n = 0;
  beforeAll(async () => {
    s = await startSession({ files: { 'lib/templates.o2a': templates } });
  });
  afterAll(() => s.stop());

  async function complete(source: string, trigger?: string): Promise<CompletionItem[]> {
    const { text, position } = cursor(source);
    const uri = await s.open(`lib/c${n++}.o2a`, text);
    await s.diagnostics(uri, 1);
    const context = trigger !== undefined ? { triggerKind: 2, triggerCharacter: trigger } : { triggerKind: 1 };
    const list = await s.request<CompletionList>('textDocument/completion', { textDocument: { uri }, position, context });
    await s.close(uri);
    return list.items;
  }
  const labels = (items: CompletionItem[]) => items.map((i) => i.label);

  it('offers resource specifications after `resource`, with the catalog description, replacing the typed prefix', async () => {
    const items = await complete(plan.replace('resource ONT_GPON', 'resource ON<|>'));
    expect(labels(items)).toEqual(['ONT_GPON', 'WIFI_ROUTER', 'MSISDN', 'SIM_CARD', 'ESIM_PROFILE', 'VLAN_ID', 'IPV4_STATIC', 'ONT_BUSINESS', 'ACCESS_PORT']);
    const ont = items[0]!;
    const doc = (ont.documentation as { value: string }).value;
    expect(doc).toContain('Optical network terminal for GPON');
    expect(doc).toContain('catalog telco-core 2026.11');
    const line = plan.split('\n').findIndex((l) => l.includes('resource ONT_GPON'));
    const col = plan.split('\n')[line]!.indexOf('ONT_GPON');
    expect(ont.textEdit).toEqual({ range: { start: { line, character: col }, end: { line, character: col + 2 } }, newText: 'ONT_GPON' });
  });

  it('offers the right catalog section after service, work, target and template', async () => {
    expect(labels(await complete(plan.replace('{ service INTERNET_ACCESS_CFS }', '{ service <|> }'), ' '))).toContain('INTERNET_ACCESS_CFS');
    expect(labels(await complete(plan.replace('target OLT_BNG_RADIUS', 'target <|>'), ' '))).toEqual(['OLT_BNG_RADIUS', 'HLR_HSS', 'ONLINE_CHARGING', 'OTT_PLATFORM', 'BNG_PROFILE', 'IPAM_BNG', 'ENTERPRISE_PE']);
    expect(labels(await complete(plan.replace('template SERVICE_ACTIVE', 'template <|>'), ' '))).toEqual(['ORDER_RECEIVED', 'APPOINTMENT_CONFIRMED', 'SIM_DISPATCHED', 'SERVICE_ACTIVE', 'SERVICE_DELAYED']);
  });

  it('offers step kinds after `step x:` and templates after `from`', async () => {
    const kinds = await complete(plan.replace('step verify: verification', 'step verify: <|>'), ' ');
    expect(labels(kinds)).toEqual(['service_order_item', 'resource_reservation', 'appointment', 'work_order', 'activation', 'verification', 'inventory_commit', 'billing_trigger', 'notification', 'number_porting']);
    expect(labels(await complete(plan.replace('step ont from CpeReservation', 'step ont from <|>'), ' '))).toEqual(['CpeReservation']);
  });

  it('offers the TMF622 item actions after `action` in a plan header, and after a comma of the list', async () => {
    const header = plan.match(/plan \w+(?: version \d+)? for offering \w+/)![0];
    expect(labels(await complete(plan.replace(header, `${header} action <|>`), ' '))).toEqual(['add', 'modify', 'delete']);
    expect(labels(await complete(plan.replace(header, `${header} action delete, <|>`), ' '))).toEqual(['add', 'modify', 'delete']);
    // Not after a step's own words.
    expect(labels(await complete(plan.replace('step verify: verification after network', 'step verify: verification after <|>'), ' '))).not.toContain('delete');
  });

  it('offers the steps of the plan after `after` and in cancel, and step states in status', async () => {
    const afterList = await complete(plan.replace('step verify: verification after network', 'step verify: verification after ont, <|>'), ' ');
    expect(labels(afterList)).toEqual(['internet', 'ont', 'network', 'verify', 'inventory', 'billing', 'notify']);
    expect(labels(await complete(plan.replace('before ont: stop', 'before <|>'), ' '))).toContain('network');
    expect(labels(await complete(plan.replace('network running:', 'network <|>'), ' '))).toEqual(['running', 'waiting', 'held', 'failed', 'done']);
  });

  it('offers characteristics of the offering after `item.` and enum values after `==`', async () => {
    const chars = await complete(plan.replace('{ resource ONT_GPON }', '{ resource ONT_GPON  skip when item.<|> }'), '.');
    expect(labels(chars)).toEqual(['installation', 'routerIncluded', 'downloadSpeed']);
    expect((chars[0]!.documentation as { value: string }).value).toContain('Who installs the ONT');
    const values = await complete(plan.replace('{ resource ONT_GPON }', '{ resource ONT_GPON  skip when item.installation == <|> }'), ' ');
    expect(labels(values)).toEqual(['"self"', '"technician"']);
  });

  it('offers member keywords and step snippets where a step starts, property keywords in a step body', async () => {
    const members = await complete(plan.replace('  completion all', '  <|>\n  completion all'));
    expect(labels(members).slice(0, 7)).toEqual(['step', 'defaults', 'billing', 'cancel', 'amend', 'status', 'completion']);
    expect(labels(members)).toContain('step: work_order');
    const props = await complete(plan.replace('{ irreversible }', '{ irreversible <|> }'));
    expect(labels(props)).toEqual(['owner', 'service', 'resource', 'work', 'target', 'template', 'timeout', 'retry', 'compensate', 'irreversible', 'evidence', 'on', 'skip', 'only']);
  });

  it('offers offerings after `for offering`, the kind\'s compensations after `compensate`', async () => {
    expect(labels(await complete(`${header}plan P for offering <|>`, ' '))).toContain('HOME_FIBER_1G');
    expect(labels(await complete(plan.replace('compensate deactivate', 'compensate <|>'), ' '))).toEqual(['deactivate']);
  });

  it('does not pop keywords up on a space after a word that completes nothing', async () => {
    expect(await complete(plan.replace('timeout 5m', 'timeout <|>5m'), ' ')).toEqual([]);
  });
});
