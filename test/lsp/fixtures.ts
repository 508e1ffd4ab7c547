// Inline sources shared by the feature tests.
import { header } from './harness.js';

export const templates = `${header}template CpeReservation: resource_reservation {
  timeout 10m
  retry 5 every 1m
  compensate release
}
`;

/** A small valid plan: its steps and policies are what the tests point at. */
export const plan = `${header}plan Fiber for offering HOME_FIBER_1G {
  billing starts on activation, blocks completion

  step internet: service_order_item { service INTERNET_ACCESS_CFS }
  step ont from CpeReservation after internet { resource ONT_GPON }
  step network: activation after ont {
    target OLT_BNG_RADIUS  timeout 5m  on timeout unknown then reconcile
    retry 2 every 1m same key  compensate deactivate
  }
  step verify: verification after network
  step inventory: inventory_commit after verify { service INTERNET_ACCESS_CFS  compensate revert }
  step billing: billing_trigger after inventory { irreversible }
  step notify: notification after billing { template SERVICE_ACTIVE }

  cancel { before ont: stop  after ont: compensate }
  status { network running: "Activating your service"  completed: "Service active" }
  completion all
}
`;
