import type { DiagnosticDefinition } from '../catalogue.js';

export const catalogCodes: DiagnosticDefinition[] = [];
