// Pictures of compiled plans: `o2a graph`. Data first (planGraph), then SVG, mermaid or dot.
import type { CompiledPlan } from '../emit/schema.js';
import { planGraph, type StepState } from './model.js';
import { renderSvg } from './svg.js';
import { renderDot, renderMermaid } from './text-formats.js';

export { planGraph, stepStates, statePalette, type PlanGraph, type GraphNode, type GraphEdge, type StepState } from './model.js';
export { layoutGraph, type GraphLayout } from './layout.js';
export { renderSvg, escapeXml } from './svg.js';
export { renderMermaid, renderDot } from './text-formats.js';

export type GraphFormat = 'svg' | 'mermaid' | 'dot';

export function renderPlanGraph(plan: CompiledPlan, format: GraphFormat, states: ReadonlyMap<string, StepState> = new Map()): string {
  const graph = planGraph(plan, states);
  switch (format) {
    case 'svg':
      return renderSvg(graph);
    case 'mermaid':
      return renderMermaid(graph);
    case 'dot':
      return renderDot(graph);
  }
}
