import type { DiagnosticDefinition } from '../catalogue.js';

export const resolveCodes: DiagnosticDefinition[] = [];
