// A plan's dependency graph: an edge from each dependency to the step that runs after it.
// Adjacency lists for the walks every check does; graphlib's Graph (built on first read of
// `graph`) for its algorithms, e.g. the cycles of a plan that has some.
import { alg, Graph } from '@dagrejs/graphlib';
import type { BoundPlan, BoundStep } from '../resolve/model.js';

export class PlanGraph {
  private graphlib?: Graph;
  /** null until computed; undefined when the plan has a cycle. */
  private order: BoundStep[] | undefined | null = null;
  /** null until known; kept by `moveTo` (the same edges). */
  private cyclic: boolean | null = null;
  private readonly ancestorsMemo = new Map<string, ReadonlySet<string>>();
  private readonly descendantsMemo = new Map<string, ReadonlySet<string>>();
  private readonly predecessors = new Map<string, string[]>();
  private readonly successors = new Map<string, string[]>();

  /** The steps' dependency lists the graph was built from. */
  private readonly edges: BoundStep['dependsOn'][];

  /** The plan; a reused graph is moved to the plan of a newer model with `moveTo`. */
  plan: BoundPlan;

  constructor(plan: BoundPlan) {
    this.plan = plan;
    this.edges = plan.steps.map((s) => s.dependsOn);
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

  /**
   * Serves `plan` (of a newer model, for which `sameEdges` holds) from now on: the reachability
   * memos hold step names and stay, and so does whether there is a cycle; the topological order
   * holds the older model's steps.
   */
  moveTo(plan: BoundPlan): void {
    this.plan = plan;
    if (this.order !== null && this.order !== undefined) this.order = null;
  }

  /** Whether `plan` has the same steps, in the same order, depending on the same steps. */
  sameEdges(plan: BoundPlan): boolean {
    const steps = plan.steps;
    if (steps.length !== this.edges.length || steps.length !== this.plan.steps.length) return false;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      if (step.name !== this.plan.steps[i]!.name) return false;
      const deps = step.dependsOn;
      const was = this.edges[i]!;
      if (deps === was) continue;
      if (deps.length !== was.length) return false;
      for (let j = 0; j < deps.length; j++) if (deps[j]!.name !== was[j]!.name) return false;
      this.edges[i] = deps;
    }
    return true;
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
   * depends on itself), by graphlib's `alg.findCycles`. An acyclic plan (every plan an author
   * keeps) is known as such from its topological order, without building the graphlib graph:
   * the language server checks a plan on every edit.
   */
  cycles(): string[][] {
    if (!this.hasCycle()) return [];
    return alg.findCycles(this.graph);
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

  /**
   * Whether a step among `names` has no kind (its kind or its template is unknown, reported where
   * it is written): it may be the kind a check looks for, so the check says nothing about it.
   */
  anyUnknownKind(names: Iterable<string>): boolean {
    for (const n of names) if (this.plan.stepByName.get(n)?.kind === undefined) return true;
    return false;
  }

  /**
   * Whether a step's `after` names a step the plan has not (reported where it is written): the
   * edge is missing, so a check must not conclude anything from the absence of a path.
   */
  hasUnknownDependency(): boolean {
    return this.plan.steps.some((s) => s.decl.after.some((id) => id.name !== '' && !this.plan.stepByName.has(id.name)));
  }

  /** Whether the plan has a dependency cycle: no step order, so no check that needs one runs. */
  hasCycle(): boolean {
    if (this.cyclic === null) {
      if (this.order !== null) this.cyclic = this.order === undefined;
      else {
        // Kahn's count: every step is reached once its dependencies are, unless some are on a cycle.
        const remaining = new Map<string, number>();
        const ready: string[] = [];
        for (const s of this.plan.steps) {
          const n = this.dependencies(s.name).length;
          remaining.set(s.name, n);
          if (n === 0) ready.push(s.name);
        }
        for (let i = 0; i < ready.length; i++) {
          for (const next of this.dependents(ready[i]!)) {
            const left = remaining.get(next)! - 1;
            remaining.set(next, left);
            if (left === 0) ready.push(next);
          }
        }
        this.cyclic = ready.length !== this.plan.steps.length;
      }
    }
    return this.cyclic;
  }

  /** Steps that `step` transitively depends on, of a given kind. */
  ancestorsOfKind(step: string, kindId: string): BoundStep[] {
    return [...this.ancestors(step)].map((n) => this.plan.stepByName.get(n)!).filter((s) => s.kind?.id === kindId);
  }

  /**
   * Steps in topological order, ties broken by source order; undefined when the graph has a cycle.
   */
  topologicalOrder(): BoundStep[] | undefined {
    if (this.order !== null) return this.order;
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
    this.order = order.length === this.plan.steps.length ? order : undefined;
    return this.order;
  }
}
