import type { DiagnosticDefinition } from '../catalogue.js';

export const syntaxCodes: DiagnosticDefinition[] = [];
