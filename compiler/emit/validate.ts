// Checks a compiled plan against the published JSON Schema, as `o2a check` and the runtime do
// before trusting a plan file.
import type { ErrorObject, ValidateFunction } from 'ajv';
import { compileJsonSchema, compiledPlanJsonSchema, relevantErrors } from '../schemas.js';

export interface SchemaError {
  /** JSON pointer of the value at fault, `/` for the root. */
  path: string;
  message: string;
}

export type SchemaVerdict = { ok: true } | { ok: false; errors: SchemaError[] };

let compiled: ValidateFunction | undefined;

/** The validator is compiled once per process and shared. */
export function compiledPlanValidator(): (value: unknown) => SchemaVerdict {
  compiled ??= compileJsonSchema(compiledPlanJsonSchema());
  const validate = compiled;
  return (value) => {
    if (validate(value)) return { ok: true };
    return { ok: false, errors: relevantErrors(validate.errors ?? []).map(toSchemaError) };
  };
}

function toSchemaError(error: ErrorObject): SchemaError {
  const path = error.instancePath === '' ? '/' : error.instancePath;
  switch (error.keyword) {
    case 'additionalProperties':
      return { path, message: `unknown property '${String(error.params.additionalProperty)}'` };
    case 'required':
      return { path, message: `missing required property '${String(error.params.missingProperty)}'` };
    case 'enum':
      return { path, message: `must be one of ${(error.params.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'const':
      return { path, message: `must be ${JSON.stringify(error.params.allowedValue)}` };
    default:
      return { path, message: error.message ?? `fails ${error.keyword}` };
  }
}
