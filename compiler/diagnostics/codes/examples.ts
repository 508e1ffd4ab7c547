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
