// A compiled plan as a picture's data: one node per step (or per bundle item), edges for
// dependencies, and the lines each node shows. Shared by the SVG, mermaid and dot renderers.
import type { CompiledPlan, CompiledStep } from '../emit/schema.js';
import { describeAction, describeCompensation, describeCondition, formatDuration } from '../diff/describe.js';

/** Saga step states a picture can colour: the runtime's SAGA_STEP_STATES (runtime/engine/states.ts). */
export const stepStates = ['NOT_STARTED', 'STARTED', 'WAITING', 'SUCCEEDED', 'FAILED', 'UNKNOWN', 'SKIPPED', 'COMPENSATING', 'COMPENSATED'] as const;
export type StepState = (typeof stepStates)[number];

export interface StatePalette {
  fill: string;
  stroke: string;
}

export const statePalette: Partial<Record<StepState, StatePalette>> = {
  SUCCEEDED: { fill: '#dcfce7', stroke: '#16a34a' },
  STARTED: { fill: '#dbeafe', stroke: '#2563eb' },
  WAITING: { fill: '#dbeafe', stroke: '#2563eb' },
  FAILED: { fill: '#fee2e2', stroke: '#dc2626' },
  UNKNOWN: { fill: '#ffedd5', stroke: '#ea580c' },
  SKIPPED: { fill: '#f3f4f6', stroke: '#9ca3af' },
  COMPENSATING: { fill: '#f3e8ff', stroke: '#9333ea' },
  COMPENSATED: { fill: '#f3e8ff', stroke: '#9333ea' },
};

export interface GraphNode {
  id: string;
  /** First line, bold: the step id or item name. */
  title: string;
  /** The lines under it: kind and owner, timeout, compensation, rule. */
  lines: string[];
  /** Runs only under a rule (skip/only): drawn dashed. */
  conditional: boolean;
  state?: StepState;
}

export interface GraphEdge {
  from: string;
  to: string;
}

export interface PlanGraph {
  planId: string;
  /** `plan HomeFiber1G v2 for HOME_FIBER_1G`. */
  caption: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

function stepLines(step: CompiledStep): string[] {
  const lines = [`${step.kind} · ${step.owner}`, `timeout ${formatDuration(step.timeout.ms)} → ${describeAction(step.timeout.on)}`, step.compensation.kind === 'none' ? 'no compensation' : describeCompensation(step.compensation)];
  if (step.ref !== null) lines.splice(1, 0, `${step.ref.type} ${step.ref.id}`);
  const condition = describeCondition(step.condition);
  if (condition !== null) lines.push(condition);
  return lines;
}

/** The picture's data for a plan; `states` maps step id (or item name) to its state in a running saga. */
export function planGraph(plan: CompiledPlan, states: ReadonlyMap<string, StepState> = new Map()): PlanGraph {
  const caption = `${plan.kind} ${plan.planId} v${plan.planVersion} for ${plan.offeringId}`;
  if (plan.kind === 'bundle') {
    const root: GraphNode = { id: plan.planId, title: plan.planId, lines: [`bundle · ${plan.completion.mode.replace('_', ' ')}`], conditional: false };
    const items = plan.items.map<GraphNode>((item) => ({
      id: `item:${item.name}`,
      title: item.name,
      lines: [`plan ${item.planId}`, item.optional ? 'optional' : 'mandatory'],
      conditional: item.optional,
      ...(states.has(item.name) ? { state: states.get(item.name)! } : {}),
    }));
    return { planId: plan.planId, caption, nodes: [root, ...items], edges: items.map((i) => ({ from: root.id, to: i.id })) };
  }
  return {
    planId: plan.planId,
    caption,
    nodes: plan.steps.map((s) => ({
      id: s.id,
      title: s.id,
      lines: stepLines(s),
      conditional: s.condition !== null,
      ...(states.has(s.id) ? { state: states.get(s.id)! } : {}),
    })),
    edges: plan.steps.flatMap((s) => s.dependsOn.map((d) => ({ from: d, to: s.id }))),
  };
}
