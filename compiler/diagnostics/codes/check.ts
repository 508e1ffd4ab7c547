import type { DiagnosticDefinition } from '../catalogue.js';

export const checkCodes: DiagnosticDefinition[] = [];
