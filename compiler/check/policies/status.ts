// Customer status is a mapping, never the internal state (§23, §29 anti-pattern 7).
// O2A4021: a state name the mapping cannot match. O2A4022: text that shows an internal state.
import { diagnostic, type Diagnostic } from '../../diagnostics/index.js';
import { closestMatch } from '../../diagnostics/suggest.js';
import { replaceFix } from '../../resolve/fixes.js';
import type { StatusEntry } from '../../syntax/ast.js';
import type { BundleCheck, PlanCheck } from '../context.js';

export const stepStates = ['running', 'waiting', 'held', 'failed', 'done'];
export const orderStates = ['received', 'completed', 'held', 'failed', 'cancelling', 'cancelled'];
const internalState = /\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/;

function checkEntries(file: string, entries: StatusEntry[], scopedStates: string[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const entry of entries) {
    const states = entry.step !== undefined ? scopedStates : orderStates;
    const state = entry.state;
    if (!state.missing && !states.includes(state.name)) {
      const suggestion = closestMatch(state.name, states);
      out.push(diagnostic('O2A4021', file, state.range,
        `unknown ${entry.step !== undefined ? 'step' : 'order'} state '${state.name}' in the status mapping`, {
          help: suggestion !== undefined ? `did you mean '${suggestion}'?` : `states: ${states.join(', ')}`,
          ...(suggestion !== undefined ? { fixes: [replaceFix(`Replace with '${suggestion}'`, file, state.range, suggestion)] } : {}),
        }));
    }
    const leaked = internalState.exec(entry.text.value);
    if (leaked !== null) {
      out.push(diagnostic('O2A4022', file, entry.text.range,
        `customer status text shows internal state '${leaked[0]}'`, {
          help: 'tell the customer what is happening in plain words, e.g. "Activating your service"',
        }));
    }
  }
  return out;
}

export const statusMappingValid: PlanCheck = ({ plan }) => checkEntries(plan.file, plan.status, stepStates);

export const bundleStatusMappingValid: BundleCheck = ({ bundle }) => checkEntries(bundle.file, bundle.status, orderStates);
