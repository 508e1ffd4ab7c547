// A large plan file for the language server benchmark: one plan of many steps, each a few lines
// long, with every kind of property the language has.
const header = 'catalog telco-core 2026.11\n\n';

export const benchTemplates = `${header}template BenchReservation: resource_reservation {
  timeout 10m
  retry 5 every 1m
  compensate release
}
`;

/** About `lines` lines: one plan, five lines a step. */
export function generatedLargePlan(lines: number): string {
  const out: string[] = [header.trimEnd(), '', '/// Generated plan for the language server benchmark.', 'plan BenchLarge for offering HOME_FIBER_1G {', '  billing starts on activation, blocks completion', ''];
  out.push('  step internet: service_order_item { service INTERNET_ACCESS_CFS }');
  const steps = Math.max(10, Math.floor((lines - 40) / 5));
  const resources = ['ONT_GPON', 'WIFI_ROUTER', 'VLAN_ID', 'ACCESS_PORT'];
  for (let i = 0; i < steps; i++) {
    const after = i < 4 ? 'internet' : `res_${i - 4}`;
    out.push(`  /// Reservation ${i}.`);
    out.push(`  step res_${i} from BenchReservation after ${after} {`);
    out.push(`    resource ${resources[i % resources.length]}`);
    out.push(i % 2 === 0 ? `    timeout ${10 + (i % 50)}m` : '    skip when item.installation == "self" and not item.routerIncluded');
    out.push('  }');
  }
  const last = `res_${steps - 1}`;
  out.push(`  step install_slot: appointment after ${last} { work FTTH_INSTALLATION  on timeout hold customer "Pick a slot"  compensate cancel_appointment }`);
  out.push('  step install: work_order after install_slot {');
  out.push('    work FTTH_INSTALLATION  evidence ont_serial, photo, optical_power');
  out.push('    on no_access hold customer "Please pick a new installation slot"');
  out.push('    compensate cancel_dispatch requires approval');
  out.push('  }');
  out.push('  step network: activation after install {');
  out.push('    target OLT_BNG_RADIUS  timeout 5m  on timeout unknown then reconcile');
  out.push('    retry 2 every 1m same key  compensate deactivate');
  out.push('  }');
  out.push('  step verify: verification after network');
  out.push('  step inventory: inventory_commit after verify { service INTERNET_ACCESS_CFS  compensate revert }');
  out.push('  step billing: billing_trigger after inventory { irreversible }');
  out.push('  step notify: notification after billing { template SERVICE_ACTIVE }');
  out.push('');
  out.push('  cancel { before res_0: stop  after res_0: compensate  after network: compensate requires approval }');
  out.push('  status { network running: "Activating your service"  completed: "Service active" }');
  out.push('  completion all');
  out.push('}');
  return `${out.join('\n')}\n`;
}
