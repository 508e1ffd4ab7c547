// `o2a graph`: a picture of a plan's step graph (SVG drawn by o2a, mermaid or dot), optionally
// coloured by the states of a running saga's steps.
import { type Command, Option } from 'commander';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { stepStates, type StepState } from '../../compiler/graph/model.js';
import type { GraphFormat } from '../../compiler/graph/index.js';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import { closestMatch } from '../../compiler/diagnostics/suggest.js';
import { DiffInputError, readSide } from './diff.js';
import { describeError, displayPath } from '../workspace.js';
import { renderText } from '../printers/text.js';
import type { CommandContext } from '../main.js';

const stateName = z.string().transform((s) => s.toUpperCase()).pipe(z.enum(stepStates));
const stateFileSchema = z.union([
  z.object({ steps: z.array(z.object({ id: z.string().optional(), stepId: z.string().optional(), state: stateName })) }),
  z.object({ steps: z.record(z.string(), stateName) }),
  z.record(z.string(), stateName),
]);

/** Reads `--state`: `{ "ont": "SUCCEEDED", ... }`, `{ "steps": { ... } }` or `{ "steps": [{ "id", "state" }] }`. */
export function parseStateFile(text: string): Map<string, StepState> | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return `not JSON: ${error instanceof Error ? error.message : String(error)}`;
  }
  const parsed = stateFileSchema.safeParse(json);
  if (!parsed.success) return `expected step ids mapped to one of ${stepStates.join(', ')}`;
  const data = parsed.data;
  if ('steps' in data && Array.isArray(data.steps)) {
    return new Map(data.steps.flatMap((s) => (s.id ?? s.stepId) === undefined ? [] : [[(s.id ?? s.stepId)!, s.state] as const]));
  }
  const record = ('steps' in data ? data.steps : data) as Record<string, StepState>;
  return new Map(Object.entries(record));
}

export function pickPlan(plans: readonly CompiledPlan[], planId: string | undefined, failures: ReadonlyMap<string, readonly string[]>): CompiledPlan {
  if (planId === undefined) {
    if (plans.length === 1) return plans[0]!;
    throw new DiffInputError(plans.length === 0 ? 'no plan compiled' : `several plans: pick one with --plan (${plans.map((p) => p.planId).join(', ')})`);
  }
  const plan = plans.find((p) => p.planId === planId);
  if (plan) return plan;
  const failure = failures.get(planId);
  if (failure) throw new DiffInputError(`plan ${planId} does not compile: ${failure.join('; ')}`);
  const suggestion = closestMatch(planId, plans.map((p) => p.planId));
  throw new DiffInputError(`no plan ${planId}${suggestion ? `: did you mean '${suggestion}'?` : ''} (plans: ${plans.map((p) => p.planId).join(', ')})`);
}

export function registerGraphCommands(program: Command, ctx: CommandContext): void {
  program
    .command('graph')
    .description('draw a plan\'s step graph, left to right: each step with its kind, owner, timeout and compensation; steps under a rule dashed')
    .argument('<path>', 'plan file or directory (.o2a sources or compiled plan .json)')
    .option('-p, --plan <id>', 'the plan or bundle to draw (needed when there are several)')
    .addOption(new Option('--format <format>', 'picture format').choices(['svg', 'mermaid', 'dot']).default('svg'))
    .option('-o, --out <file>', 'write the picture to this file instead of stdout')
    .option('-c, --catalog <snapshot>', 'catalog snapshot directory for compiling sources (default: catalogs/<version> from the files)')
    .option('--state <json file>', 'colour steps by the states of a running saga: { "<step>": "SUCCEEDED" | "STARTED" | "WAITING" | "FAILED" | "UNKNOWN" | "SKIPPED" | "COMPENSATED", ... }')
    .action(async (path: string, opts: { plan?: string; format: GraphFormat; out?: string; catalog?: string; state?: string }) => {
      try {
        const side = readSide(path, { snapshot: opts.catalog, roots: ['catalogs'] });
        let plan: CompiledPlan;
        try {
          plan = pickPlan(side.plans, opts.plan, side.failures ?? new Map());
        } catch (error) {
          // Nothing to draw because of errors: show them, as `o2a check` would.
          const errors = (side.diagnostics ?? []).filter((d) => d.severity === 'error');
          if (errors.length > 0 && (side.plans.length === 0 || (opts.plan !== undefined && side.failures?.has(opts.plan)))) {
            // Side file names are relative to the folder read: shown from here, as `o2a check` shows them.
            const folder = statSync(path).isFile() ? dirname(path) : path;
            const shown = (file: string) => displayPath(join(folder, file));
            const sources = new Map([...side.sources].map(([file, text]) => [shown(file), text]));
            ctx.stderr.write(renderText(errors.map((d) => ({ ...d, file: shown(d.file) })), sources, { color: false }));
          }
          throw error;
        }
        let states = new Map<string, StepState>();
        if (opts.state !== undefined) {
          if (!existsSync(opts.state)) throw new DiffInputError(`no such state file: ${opts.state}`);
          const parsed = parseStateFile(readFileSync(opts.state, 'utf8'));
          if (typeof parsed === 'string') throw new DiffInputError(`${opts.state}: ${parsed}`);
          const known = new Set(plan.kind === 'plan' ? plan.steps.map((s) => s.id) : plan.items.map((i) => i.name));
          for (const id of parsed.keys()) {
            if (!known.has(id)) {
              const suggestion = closestMatch(id, known);
              ctx.stderr.write(`o2a graph: warning: ${opts.state} names '${id}', which is not a step of ${plan.planId}${suggestion ? `: did you mean '${suggestion}'?` : ''}\n`);
            }
          }
          states = parsed;
        }
        const { renderPlanGraph } = await import('../../compiler/graph/index.js');
        const picture = renderPlanGraph(plan, opts.format, states);
        if (opts.out !== undefined) {
          writeFileSync(opts.out, picture);
          ctx.stdout.write(`${opts.out}  ${opts.format} of ${plan.kind} ${plan.planId}\n`);
        } else {
          ctx.stdout.write(picture);
        }
        ctx.exitCode = 0;
      } catch (error) {
        const message = error instanceof DiffInputError ? error.message : describeError(error);
        ctx.stderr.write(`o2a graph: ${message}\n`);
        ctx.exitCode = 1;
      }
    });
}
