// The sample operator's snapshots, the snapshot identity, and loading from disk.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog, parseCatalog } from '../../compiler/catalog/load.js';
import type { CatalogSnapshot } from '../../compiler/catalog/schema.js';
import { CatalogCode } from '../../compiler/diagnostics/codes/catalog.js';

const root = join(import.meta.dirname, '../..');
const dirOf = (version: string): string => join(root, 'catalogs', version);

function loadClean(version: string): CatalogSnapshot {
  const result = loadCatalog(dirOf(version));
  expect(result.diagnostics).toEqual([]);
  expect(result.catalog).toBeDefined();
  return result.catalog!;
}

describe('sample snapshots', () => {
  it('load without diagnostics and have different hashes', () => {
    const october = loadClean('2026.10');
    const november = loadClean('2026.11');
    expect(october.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(november.sha256).not.toBe(october.sha256);
    expect(november.data.catalogId).toBe('telco-core');
    expect(october.data.catalogId).toBe('telco-core');
    expect(november.data.version).toBe('2026.11');
    expect(november.source).toBe(dirOf('2026.11'));
  });

  it('2026.11 holds the ids the sample plans use, with the agreed shapes', () => {
    const c = loadClean('2026.11');
    for (const id of ['HOME_FIBER_1G', 'HOME_FIBER_500M', 'MOBILE_POSTPAID', 'OTT_STREAMING', 'FAMILY_PACK', 'STATIC_IP_ADDON', 'FIBER_SPEED_CHANGE', 'ENTERPRISE_FIBER']) {
      expect(c.offerings.has(id), id).toBe(true);
    }
    for (const id of ['INTERNET_ACCESS_CFS', 'FTTH_ACCESS_RFS', 'MOBILE_VOICE_DATA_CFS', 'MOBILE_CORE_RFS', 'OTT_STREAMING_CFS', 'STATIC_IP_CFS', 'ENTERPRISE_ACCESS_CFS']) {
      expect(c.services.has(id), id).toBe(true);
    }
    for (const id of ['ONT_GPON', 'ONT_GPON_V1', 'WIFI_ROUTER', 'MSISDN', 'SIM_CARD', 'ESIM_PROFILE', 'VLAN_ID', 'IPV4_STATIC', 'ONT_BUSINESS', 'ACCESS_PORT']) {
      expect(c.resources.has(id), id).toBe(true);
    }
    expect([...c.workTypes.keys()]).toEqual(['FTTH_INSTALLATION', 'ENTERPRISE_INSTALLATION', 'SITE_SURVEY']);
    expect([...c.activationTargets.keys()]).toEqual(['OLT_BNG_RADIUS', 'HLR_HSS', 'ONLINE_CHARGING', 'OTT_PLATFORM', 'BNG_PROFILE', 'IPAM_BNG', 'ENTERPRISE_PE']);
    expect(c.activationTargets.get('ENTERPRISE_PE')!.supportsReadBack).toBe(false);
    expect([...c.notificationTemplates.keys()]).toEqual(['ORDER_RECEIVED', 'APPOINTMENT_CONFIRMED', 'SIM_DISPATCHED', 'SERVICE_ACTIVE', 'SERVICE_DELAYED']);
    expect(c.notificationTemplates.get('SERVICE_ACTIVE')!.announcesActiveService).toBe(true);

    const fiber = c.offerings.get('HOME_FIBER_1G')!;
    expect(fiber.productSpecification.characteristics).toContainEqual(expect.objectContaining({ name: 'installation', valueType: 'enum', values: ['self', 'technician'], default: 'technician', mandatory: true }));
    expect(fiber.productSpecification.characteristics).toContainEqual(expect.objectContaining({ name: 'routerIncluded', valueType: 'boolean', default: true }));
    expect(fiber.productSpecification.characteristics).toContainEqual(expect.objectContaining({ name: 'downloadSpeed', valueType: 'number', unit: 'Mbps', min: 100, max: 1000, default: 1000 }));
    expect(c.offerings.get('HOME_FIBER_500M')).toMatchObject({ lifecycleStatus: 'retired', replacedBy: 'HOME_FIBER_1G' });
    expect(c.offerings.get('FAMILY_PACK')).toMatchObject({ isBundle: true, bundledOfferings: ['MOBILE_POSTPAID', 'HOME_FIBER_1G', 'OTT_STREAMING'] });
    expect(c.offerings.get('FIBER_SPEED_CHANGE')!.orderType).toBe('modify');
    expect(c.offerings.get('ENTERPRISE_FIBER')!.productSpecification.characteristics).toContainEqual(expect.objectContaining({ name: 'contractStartDate', valueType: 'string', format: 'date', mandatory: true }));
    expect(c.services.get('MOBILE_VOICE_DATA_CFS')).toMatchObject({ category: 'CFS', supportingServices: ['MOBILE_CORE_RFS'], requiredResources: ['MSISDN', 'SIM_CARD'] });
    expect(c.resources.get('ONT_GPON_V1')).toMatchObject({ lifecycleStatus: 'retired', replacedBy: 'ONT_GPON' });

    expect(c.stepKinds.get('work_order')).toMatchObject({ owner: 'workforce', sideEffecting: true, idempotent: false, compensations: ['cancel_dispatch'], outcomes: ['no_access', 'rejected'], requires: 'work', defaultTimeoutMs: 7 * 86_400_000 });
    expect(c.stepKinds.get('activation')).toMatchObject({ owner: 'activation-gateway', command: 'SubmitActivationCommand', succeededEvent: 'ActivationCommandSucceeded', failedEvent: 'ActivationCommandFailed', defaultTimeoutMs: 300_000 });
    expect(c.stepKinds.get('number_porting')).toMatchObject({ owner: 'porting', sideEffecting: true, compensations: [], requires: 'resource' });
  });

  it('every entry of both snapshots has a description (hover docs in the editor)', () => {
    for (const version of ['2026.10', '2026.11']) {
      const { data } = loadClean(version);
      const entries = [...data.productOfferings, ...data.serviceSpecifications, ...data.resourceSpecifications, ...data.workTypes,
        ...data.activationTargets, ...data.stepKinds, ...data.notificationTemplates];
      for (const e of entries) expect(e.description, `${version} ${e.id}`).toMatch(/\S/);
    }
  });

  it('2026.10 is the month before: no static IP, ONT_GPON_V1, 500M active, no router choice, no porting', () => {
    const c = loadClean('2026.10');
    expect(c.offerings.has('STATIC_IP_ADDON')).toBe(false);
    expect(c.resources.has('ONT_GPON')).toBe(false);
    expect(c.resources.get('ONT_GPON_V1')!.lifecycleStatus).toBe('active');
    expect(c.services.get('INTERNET_ACCESS_CFS')!.requiredResources).toEqual(['ONT_GPON_V1']);
    expect(c.offerings.get('HOME_FIBER_500M')!.lifecycleStatus).toBe('active');
    expect(c.offerings.get('HOME_FIBER_1G')!.productSpecification.characteristics.map((ch) => ch.name)).not.toContain('routerIncluded');
    expect(c.stepKinds.has('number_porting')).toBe(false);
  });

  it('applies the schema defaults', () => {
    const c = loadClean('2026.11');
    expect(c.offerings.get('HOME_FIBER_1G')!.isBundle).toBe(false);
    expect(c.services.get('OTT_STREAMING_CFS')).toMatchObject({ lifecycleStatus: 'active', supportingServices: [], requiredResources: [] });
  });
});

describe('snapshot identity', () => {
  const text = readFileSync(join(dirOf('2026.11'), 'catalog.json'), 'utf8');
  const hashOf = (t: string): string | undefined => parseCatalog(t, 'catalog.json').catalog?.sha256;

  function reverseKeys(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(reverseKeys);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reverseKeys(v)]));
    }
    return value;
  }

  it('is stable under key order and whitespace', () => {
    const original = hashOf(text);
    expect(original).toBeDefined();
    expect(hashOf(JSON.stringify(reverseKeys(JSON.parse(text))))).toBe(original);
    expect(hashOf(JSON.stringify(JSON.parse(text), null, '\t'))).toBe(original);
  });

  it('is the same whether a default is written out or left implicit', () => {
    const data = JSON.parse(text) as { serviceSpecifications: Record<string, unknown>[] };
    data.serviceSpecifications[0]!.lifecycleStatus = 'active';
    expect(hashOf(JSON.stringify(data))).toBe(hashOf(text));
  });

  it('changes when a value changes', () => {
    expect(hashOf(text.replace('"defaultTimeoutMs": 300000', '"defaultTimeoutMs": 300001'))).not.toBe(hashOf(text));
  });
});

describe('loadCatalog', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'o2a-catalog-'));

  it('reports a missing directory as a diagnostic, not an exception', () => {
    const result = loadCatalog(join(tmp, 'no-such-snapshot'));
    expect(result.catalog).toBeUndefined();
    expect(result.diagnostics.map((d) => d.code)).toEqual([CatalogCode.notFound]);
    expect(result.diagnostics[0]!.message).toContain('no-such-snapshot');
  });

  it('reports a directory without catalog.json', () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    expect(loadCatalog(empty).diagnostics.map((d) => d.code)).toEqual([CatalogCode.unreadable]);
  });

  it('reports a file that is not UTF-8 text', () => {
    const file = join(tmp, 'binary.json');
    writeFileSync(file, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    expect(loadCatalog(file).diagnostics.map((d) => d.code)).toEqual([CatalogCode.unreadable]);
  });

  it('reads a JSON file given directly, after a byte order mark', () => {
    const file = join(tmp, 'snapshot.json');
    writeFileSync(file, '\uFEFF' + readFileSync(join(dirOf('2026.10'), 'catalog.json'), 'utf8'));
    const result = loadCatalog(file);
    expect(result.diagnostics).toEqual([]);
    expect(result.catalog!.sha256).toBe(loadClean('2026.10').sha256);
    expect(result.catalog!.source).toBe(file);
  });

  it('names the catalog.json file in diagnostics', () => {
    const dir = join(tmp, 'broken');
    mkdirSync(dir);
    writeFileSync(join(dir, 'catalog.json'), '{\n  "catalogId": "telco-core",\n}\n');
    const [d] = loadCatalog(dir).diagnostics;
    expect(d).toMatchObject({ code: CatalogCode.invalidJson, file: join(dir, 'catalog.json'), range: { start: { line: 1, character: 27 } } });
  });
});
