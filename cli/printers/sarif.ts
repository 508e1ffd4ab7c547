// SARIF 2.1.0, for code-scanning dashboards: one run, the catalogue entries of the codes seen as
// rules, fixes as replacements.
import { definitionOf, type Diagnostic, type Range } from '../../compiler/diagnostics/index.js';

const levels = { error: 'error', warning: 'warning', info: 'note' } as const;

function region(range: Range) {
  return {
    startLine: range.start.line + 1,
    startColumn: range.start.character + 1,
    endLine: range.end.line + 1,
    endColumn: range.end.character + 1,
  };
}

export function renderSarif(diagnostics: readonly Diagnostic[], toolVersion: string): string {
  const codes = [...new Set(diagnostics.map((d) => d.code))].sort();
  const rules = codes.map((code) => {
    const def = definitionOf(code);
    return {
      id: code,
      name: def?.name ?? code,
      shortDescription: { text: def?.summary ?? code },
      fullDescription: { text: def?.explanation ?? code },
      help: { text: `${def?.explanation ?? ''}\nRun \`o2a explain ${code}\` for examples.`.trim() },
      defaultConfiguration: { level: levels[def?.severity ?? 'error'] },
    };
  });
  const results = diagnostics.map((d) => ({
    ruleId: d.code,
    ruleIndex: codes.indexOf(d.code),
    level: levels[d.severity],
    message: { text: d.help ? `${d.message}\nhelp: ${d.help}` : d.message },
    locations: [{ physicalLocation: { artifactLocation: { uri: d.file }, region: region(d.range) } }],
    ...(d.fixes
      ? {
          fixes: d.fixes.map((f) => ({
            description: { text: f.title },
            artifactChanges: f.edits.map((e) => ({
              artifactLocation: { uri: e.file },
              replacements: [{ deletedRegion: region(e.range), insertedContent: { text: e.newText } }],
            })),
          })),
        }
      : {}),
  }));
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{ tool: { driver: { name: 'o2a', version: toolVersion, rules } }, results }],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
