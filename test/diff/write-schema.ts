// Rewrites schemas/diff.schema.json from the zod schema: `npx tsx test/diff/write-schema.ts`.
import { writeFileSync } from 'node:fs';
import { diffReportJsonSchema, DIFF_SCHEMA_FILE } from '../../compiler/diff/index.js';
import { schemaFileText, schemasDir } from '../../compiler/schemas.js';

writeFileSync(`${schemasDir}/${DIFF_SCHEMA_FILE}`, schemaFileText(diffReportJsonSchema()));
