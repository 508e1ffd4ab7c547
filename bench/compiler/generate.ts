// Generates a synthetic workspace of plans for the compiler benchmark: realistic step kinds,
// fan-in/fan-out dependencies, templates, rules, and every policy the language has.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const header = 'catalog telco-core 2026.11\n\n';

export function generatedTemplates(): string {
  return `${header}template BenchReservation: resource_reservation {
  timeout 10m
  retry 5 every 1m
  compensate release
}

template BenchActivation: activation {
  timeout 5m
  on timeout unknown then reconcile
  retry 2 every 1m same key
  compensate deactivate
}
`;
}

/** One plan of `steps` steps (at least 12) for the Home Fiber offering. */
export function generatedPlan(index: number, steps: number): string {
  const lines: string[] = [];
  const name = `BenchPlan${index}`;
  lines.push(`/// Generated plan ${index} with ${steps} steps.`);
  lines.push(`plan ${name} version ${1 + (index % 7)} for offering HOME_FIBER_1G {`);
  lines.push('  billing starts on activation, blocks completion');
  lines.push('');
  lines.push('  step internet: service_order_item { service INTERNET_ACCESS_CFS }');
  const middle = steps - 9;
  const reservations: string[] = [];
  // Reservations in parallel after the service order item, some behind rules.
  for (let i = 0; i < middle; i++) {
    const id = `res_${i}`;
    reservations.push(id);
    const resource = i === 0 ? 'ONT_GPON' : i % 3 === 0 ? 'WIFI_ROUTER' : i % 3 === 1 ? 'VLAN_ID' : 'ACCESS_PORT';
    const after = i < 4 ? 'internet' : `res_${i - 4}`;
    if (i % 5 === 4) {
      lines.push(`  // reservation ${i} only for technician installs faster than 300 Mbps`);
      lines.push(`  step ${id} from BenchReservation after ${after} {`);
      lines.push(`    resource ${resource}`);
      lines.push(`    only when item.installation == "technician" and (item.downloadSpeed >= 300 or not item.routerIncluded)`);
      lines.push('  }');
    } else {
      lines.push(`  step ${id} from BenchReservation after ${after} { resource ${resource} }`);
    }
  }
  const tail = reservations.slice(-4).join(', ');
  lines.push(`  step install_slot: appointment after ${tail} {`);
  lines.push('    work FTTH_INSTALLATION');
  lines.push('    on timeout hold customer "Please pick an installation slot"');
  lines.push('    compensate cancel_appointment');
  lines.push('  }');
  lines.push('  step install: work_order after install_slot {');
  lines.push('    work FTTH_INSTALLATION');
  lines.push('    evidence ont_serial, photo, optical_power');
  lines.push('    on no_access hold customer "Please pick a new installation slot"');
  lines.push('    compensate cancel_dispatch requires approval');
  lines.push('  }');
  lines.push('  step network from BenchActivation after install { target OLT_BNG_RADIUS }');
  lines.push('  step profile from BenchActivation after network { target BNG_PROFILE }');
  lines.push('  step verify: verification after profile { on verification_failed fallout field-ops }');
  lines.push('  step inventory: inventory_commit after verify { service INTERNET_ACCESS_CFS  compensate revert }');
  lines.push('  step billing: billing_trigger after inventory { compensate cancel_billing }');
  lines.push('  step notify: notification after billing { template SERVICE_ACTIVE }');
  lines.push('');
  lines.push('  cancel {');
  lines.push('    before res_0: stop');
  lines.push('    after res_0: compensate');
  lines.push('    after network: compensate requires approval');
  lines.push('  }');
  lines.push('  amend appointment { replan install_slot, install }');
  lines.push('  status {');
  lines.push('    install running: "Technician on the way"');
  lines.push('    network running: "Activating your service"');
  lines.push('    completed: "Service active"');
  lines.push('  }');
  lines.push('  completion all');
  lines.push('}');
  return `${header}${lines.join('\n')}\n`;
}

/** Writes `plans` plan files of `steps` steps each (plus one templates file) into `dir`. */
export function generateWorkspace(dir: string, plans: number, steps: number): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'templates.o2a'), generatedTemplates());
  for (let i = 0; i < plans; i++) writeFileSync(join(dir, `plan-${String(i).padStart(4, '0')}.o2a`), generatedPlan(i, steps));
}
