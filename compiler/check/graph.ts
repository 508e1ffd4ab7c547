// A plan's dependency graph: an edge from each dependency to the step that runs after it.
import { Graph } from '@dagrejs/graphlib';
import type { BoundPlan, BoundStep } from '../resolve/model.js';

export class PlanGraph {
  readonly graph = new Graph({ directed: true });
  private readonly ancestorsMemo = new Map<string, ReadonlySet<string>>();
  private readonly descendantsMemo = new Map<string, ReadonlySet<string>>();
  private readonly predecessors = new Map<string, string[]>();
  private readonly successors = new Map<string, string[]>();

  constructor(readonly plan: BoundPlan) {
    for (const step of plan.steps) {
      this.graph.setNode(step.name);
      this.predecessors.set(step.name, []);
      this.successors.set(step.name, []);
    }
    for (const step of plan.steps) {
      for (const dep of step.dependsOn) {
        this.graph.setEdge(dep.name, step.name);
        this.predecessors.get(step.name)!.push(dep.name);
        this.successors.get(dep.name)!.push(step.name);
      }
    }
    for (const list of this.successors.values()) list.sort((a, b) => this.indexOf(a) - this.indexOf(b));
  }

  indexOf(name: string): number {
    return this.plan.stepByName.get(name)?.index ?? Number.MAX_SAFE_INTEGER;
  }

  dependencies(name: string): readonly string[] {
    return this.predecessors.get(name) ?? [];
  }

  dependents(name: string): readonly string[] {
    return this.successors.get(name) ?? [];
  }

  /** Every step that must finish before `name` starts (transitively); terminates on cycles. */
  ancestors(name: string): ReadonlySet<string> {
    return this.reach(name, this.predecessors, this.ancestorsMemo);
  }

  descendants(name: string): ReadonlySet<string> {
    return this.reach(name, this.successors, this.descendantsMemo);
  }

  private reach(name: string, edges: Map<string, string[]>, memo: Map<string, ReadonlySet<string>>): ReadonlySet<string> {
    const cached = memo.get(name);
    if (cached !== undefined) return cached;
    const seen = new Set<string>();
    const queue = [...(edges.get(name) ?? [])];
    while (queue.length > 0) {
      const next = queue.shift()!;
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...(edges.get(next) ?? []));
    }
    memo.set(name, seen);
    return seen;
  }

  /** True when `step` runs after `other` (transitively). */
  runsAfter(step: string, other: string): boolean {
    return this.ancestors(step).has(other);
  }

  /** Steps that `step` transitively depends on, of a given kind. */
  ancestorsOfKind(step: string, kindId: string): BoundStep[] {
    return [...this.ancestors(step)].map((n) => this.plan.stepByName.get(n)!).filter((s) => s.kind?.id === kindId);
  }

  /**
   * Steps in topological order, ties broken by source order; undefined when the graph has a cycle.
   */
  topologicalOrder(): BoundStep[] | undefined {
    const remaining = new Map(this.plan.steps.map((s) => [s.name, this.dependencies(s.name).length]));
    const ready = this.plan.steps.filter((s) => remaining.get(s.name) === 0);
    const order: BoundStep[] = [];
    while (ready.length > 0) {
      ready.sort((a, b) => a.index - b.index);
      const step = ready.shift()!;
      order.push(step);
      for (const next of this.dependents(step.name)) {
        const left = remaining.get(next)! - 1;
        remaining.set(next, left);
        if (left === 0) ready.push(this.plan.stepByName.get(next)!);
      }
    }
    return order.length === this.plan.steps.length ? order : undefined;
  }
}
