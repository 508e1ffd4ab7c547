// O2A3001: a plan's `after` graph must be acyclic (§12.1). Each cycle is reported once, as the
// path that closes it, on the `after` reference that closes it.
import { diagnostic, type Diagnostic } from '../../diagnostics/index.js';
import type { PlanCheck } from '../context.js';

export const dependencyCycles: PlanCheck = ({ plan, graph }) => {
  const out: Diagnostic[] = [];
  for (const component of graph.cycles()) {
    const members = new Set(component);
    const start = [...members].sort((a, b) => graph.indexOf(a) - graph.indexOf(b))[0]!;
    const path = shortestCycle(start, members, (n) => graph.dependents(n));
    if (path === undefined) continue;
    // path: start -> ... -> last -> start; `start after last` closes it.
    const last = path[path.length - 2]!;
    const step = plan.stepByName.get(start)!;
    const closing = step.dependsOn.find((d) => d.name === last)!;
    out.push(diagnostic('O2A3001', plan.file, closing.ident.range,
      `dependency cycle in plan ${plan.name}: ${path.join(' -> ')}`, {
        help: `a step cannot wait for itself: remove '${last}' from the 'after' list of '${start}' or break the cycle elsewhere`,
        related: path.slice(1, -1).map((name) => ({
          file: plan.file, range: plan.stepByName.get(name)!.decl.name.range, message: `'${name}' is on the cycle`,
        })),
      }));
  }
  return out;
};

function shortestCycle(start: string, within: ReadonlySet<string>, next: (n: string) => readonly string[]): string[] | undefined {
  const parent = new Map<string, string>();
  const queue: string[] = [start];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const succ of next(node)) {
      if (!within.has(succ)) continue;
      if (succ === start) {
        const path = [start];
        for (let n: string | undefined = node; n !== undefined && n !== start; n = parent.get(n)) path.splice(1, 0, n);
        if (node === start) return [start, start];
        path.push(start);
        return path;
      }
      if (seen.has(succ)) continue;
      seen.add(succ);
      parent.set(succ, node);
      queue.push(succ);
    }
  }
  return undefined;
}
