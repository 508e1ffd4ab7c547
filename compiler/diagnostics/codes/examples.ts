// Builders for the small example sources of the resolve and check catalogue entries: every example
// is a whole file pinned to `catalog telco-core 2026.11`, so `o2a explain` shows what compiles.

export const pin = 'catalog telco-core 2026.11\n\n';

/** A plan for OTT_STREAMING (no resources, no field work) around the given members. */
export function ottPlan(members: string, header = 'plan OttStreaming for offering OTT_STREAMING'): string {
  return `${pin}${header} {\n${indent(members)}}\n`;
}

/** The smallest complete static IP plan, with members added at the end. */
export function staticIpPlan(stepsOverride?: string, extra = ''): string {
  const steps = stepsOverride ?? [
    'step order: service_order_item { service STATIC_IP_CFS }',
    'step ip: resource_reservation after order { resource IPV4_STATIC  compensate release }',
    'step network: activation after ip {',
    '  target IPAM_BNG  on timeout unknown then reconcile  compensate deactivate',
    '}',
    'step verify: verification after network',
  ].join('\n');
  return `${pin}plan StaticIp for offering STATIC_IP_ADDON {\n${indent(steps)}${extra !== '' ? indent(extra) : ''}}\n`;
}

export function indent(text: string): string {
  return text.split('\n').map((l) => (l === '' ? '' : `  ${l}`)).join('\n') + '\n';
}

/**
 * The smallest complete Home Fiber 1G plan (an ONT reserved, the access activated and verified),
 * with `ontProperties` added to the ONT reservation and `extra` members at the end: for examples
 * about rules (its offering has an enum, a boolean and a number characteristic) and values.
 */
export function homeFiberPlan(ontProperties = '', extra = '', header = 'plan HomeFiber1G for offering HOME_FIBER_1G'): string {
  const steps = [
    'step internet: service_order_item { service INTERNET_ACCESS_CFS }',
    'step ont: resource_reservation after internet {',
    '  resource ONT_GPON',
    '  compensate release',
    ...(ontProperties !== '' ? ontProperties.split('\n').map((l) => `  ${l}`) : []),
    '}',
    'step network: activation after ont {',
    '  target OLT_BNG_RADIUS  on timeout unknown then reconcile  compensate deactivate',
    '}',
    'step verify: verification after network',
  ].join('\n');
  return `${pin}${header} {\n${indent(steps)}${extra !== '' ? indent(extra) : ''}}\n`;
}

/** A complete Mobile Postpaid plan (a number and a SIM reserved, the core network activated and verified). */
export const mobilePlan = `plan MobilePostpaid for offering MOBILE_POSTPAID {
  step mobile: service_order_item { service MOBILE_VOICE_DATA_CFS }
  step msisdn: resource_reservation after mobile { resource MSISDN  compensate quarantine }
  step sim: resource_reservation after mobile { resource SIM_CARD  compensate release }
  step core: activation after msisdn, sim {
    target HLR_HSS  on timeout unknown then reconcile  compensate deactivate
  }
  step verify: verification after core
}
`;

/** A complete Enterprise Fiber plan (business ONT and VLAN reserved, the PE activated and verified); `pe`: the PE step's properties, `extra`: members at the end. */
export function enterprisePlan(pe = 'target ENTERPRISE_PE  on timeout hold provider "Check the PE configuration"  compensate deactivate', extra = ''): string {
  const steps = [
    'step order: service_order_item { service ENTERPRISE_ACCESS_CFS }',
    'step ont: resource_reservation after order { resource ONT_BUSINESS  compensate release }',
    'step vlan: resource_reservation after order { resource VLAN_ID  compensate release }',
    'step pe: activation after ont, vlan {',
    `  ${pe}`,
    '}',
    'step verify: verification after pe',
  ].join('\n');
  return `${pin}plan EnterpriseFiber for offering ENTERPRISE_FIBER {\n${indent(steps)}${extra !== '' ? indent(extra) : ''}}\n`;
}
