import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { compileJsonSchema, schemaFileText } from '../../compiler/schemas.js';
import { diffPlanSets, diffReportJsonSchema, DIFF_SCHEMA_FILE } from '../../compiler/diff/index.js';
import { renderDiffJson } from '../../cli/printers/diff-json.js';
import { fiberSteps, plan, step } from './plans.js';

describe('diff report JSON Schema', () => {
  it('is committed as generated from the zod schema (regenerate: npx tsx test/diff/write-schema.ts)', () => {
    expect(readFileSync(`schemas/${DIFF_SCHEMA_FILE}`, 'utf8')).toBe(schemaFileText(diffReportJsonSchema()));
  });

  it('accepts the JSON output of a diff with every kind of value and rejects a broken one', () => {
    const validate = compileJsonSchema(diffReportJsonSchema());
    const previous = plan('Fiber', fiberSteps());
    const steps = fiberSteps();
    steps[1] = { ...steps[1]!, evidence: ['serial'], timeout: { ms: 1_000, on: { action: 'hold', party: 'customer', message: 'call us' } } };
    steps.push(step('router', { dependsOn: ['internet'] }));
    const report = diffPlanSets({ plans: [previous] }, { plans: [plan('Fiber', steps)], failures: new Map([['Gone', ['O2A1 x']]]) });
    expect(report.changes.length).toBeGreaterThan(3);
    const output = JSON.parse(renderDiffJson(report)) as Record<string, unknown>;
    expect(validate(output), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...output, exitCode: 7 })).toBe(false);
    expect(validate({ ...output, changes: [{ rule: 'x' }] })).toBe(false);
  });
});
