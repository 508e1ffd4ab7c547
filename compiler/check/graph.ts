// A plan's dependency graph: an edge from each dependency to the step that runs after it.
// Plain adjacency lists (a graphlib Graph, built on first read of `graph`, only for callers that
// want one): the language server builds this graph for every check of a plan on every edit.
import { Graph } from '@dagrejs/graphlib';
import type { BoundPlan, BoundStep } from '../resolve/model.js';

export class PlanGraph {
  private graphlib?: Graph;
  private readonly ancestorsMemo = new Map<string, ReadonlySet<string>>();
  private readonly descendantsMemo = new Map<string, ReadonlySet<string>>();
  private readonly predecessors = new Map<string, string[]>();
  private readonly successors = new Map<string, string[]>();

  constructor(readonly plan: BoundPlan) {
    for (const step of plan.steps) {
      this.predecessors.set(step.name, []);
      this.successors.set(step.name, []);
    }
    let unordered = false;
    for (const step of plan.steps) {
      for (const dep of step.dependsOn) {
        this.predecessors.get(step.name)!.push(dep.name);
        const next = this.successors.get(dep.name)!;
        // Steps are visited in source order: a list stays sorted unless a step names a later one.
        if (next.length > 0 && this.indexOf(next[next.length - 1]!) > step.index) unordered = true;
        next.push(step.name);
      }
    }
    if (unordered) for (const list of this.successors.values()) list.sort((a, b) => this.indexOf(a) - this.indexOf(b));
  }

  /** The graph as a graphlib Graph (built on first use). */
  get graph(): Graph {
    if (this.graphlib === undefined) {
      const g = new Graph({ directed: true });
      for (const step of this.plan.steps) g.setNode(step.name);
      for (const step of this.plan.steps) for (const dep of step.dependsOn) g.setEdge(dep.name, step.name);
      this.graphlib = g;
    }
    return this.graphlib;
  }

  /**
   * The strongly connected components that hold a cycle (more than one step, or a step that
   * depends on itself), as graphlib's `alg.findCycles` gives them (Tarjan, iteratively).
   */
  cycles(): string[][] {
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const onStack = new Set<string>();
    const stack: string[] = [];
    const out: string[][] = [];
    let counter = 0;
    for (const root of this.predecessors.keys()) {
      if (index.has(root)) continue;
      // Each frame: a node and the position in its successor list.
      const frames: { v: string; i: number }[] = [{ v: root, i: 0 }];
      index.set(root, counter);
      low.set(root, counter++);
      stack.push(root);
      onStack.add(root);
      while (frames.length > 0) {
        const frame = frames[frames.length - 1]!;
        const succ = this.successors.get(frame.v)!;
        if (frame.i < succ.length) {
          const w = succ[frame.i++]!;
          if (!index.has(w)) {
            index.set(w, counter);
            low.set(w, counter++);
            stack.push(w);
            onStack.add(w);
            frames.push({ v: w, i: 0 });
          } else if (onStack.has(w)) {
            low.set(frame.v, Math.min(low.get(frame.v)!, index.get(w)!));
          }
          continue;
        }
        frames.pop();
        const parent = frames[frames.length - 1];
        if (parent !== undefined) low.set(parent.v, Math.min(low.get(parent.v)!, low.get(frame.v)!));
        if (low.get(frame.v) === index.get(frame.v)) {
          const component: string[] = [];
          let w: string;
          do {
            w = stack.pop()!;
            onStack.delete(w);
            component.push(w);
          } while (w !== frame.v);
          if (component.length > 1 || this.successors.get(frame.v)!.includes(frame.v)) out.push(component);
        }
      }
    }
    return out;
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
    for (let i = 0; i < queue.length; i++) {
      const next = queue[i]!;
      if (seen.has(next)) continue;
      seen.add(next);
      for (const n of edges.get(next) ?? []) if (!seen.has(n)) queue.push(n);
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
