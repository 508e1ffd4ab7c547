// GitHub Actions workflow commands: each diagnostic becomes an annotation on the pull request.
import type { Diagnostic } from '../../compiler/diagnostics/index.js';

const commands = { error: 'error', warning: 'warning', info: 'notice' } as const;

function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function renderGithub(diagnostics: readonly Diagnostic[]): string {
  return diagnostics
    .map((d) => {
      const props = [
        `file=${escapeProperty(d.file)}`,
        `line=${d.range.start.line + 1}`,
        `col=${d.range.start.character + 1}`,
        `endLine=${d.range.end.line + 1}`,
        `endColumn=${d.range.end.character + 1}`,
        `title=${escapeProperty(d.code)}`,
      ].join(',');
      const body = d.help ? `${d.message}\nhelp: ${d.help}` : d.message;
      return `::${commands[d.severity]} ${props}::${escapeData(body)}\n`;
    })
    .join('');
}
