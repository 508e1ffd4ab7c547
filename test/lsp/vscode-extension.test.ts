// The VS Code extension: its grammar tokenises o2a as an editor would, its manifest registers the
// language, and it packages into an installable .vsix.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import vsctm from 'vscode-textmate';
import oniguruma from 'vscode-oniguruma';
import { repoRoot } from './harness.js';

const extensionDir = join(repoRoot, 'editors', 'vscode');

async function grammar() {
  const wasm = readFileSync(join(repoRoot, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName: string) => {
      if (scopeName !== 'source.o2a') return null;
      const path = join(extensionDir, 'syntaxes', 'o2a.tmLanguage.json');
      return vsctm.parseRawGrammar(readFileSync(path, 'utf8'), path);
    },
  });
  const g = await registry.loadGrammar('source.o2a');
  if (g === null) throw new Error('grammar did not load');
  return g;
}

/** Each token's text with its innermost scope. */
async function tokenise(lines: string[]): Promise<[string, string][][]> {
  const g = await grammar();
  let state = vsctm.INITIAL;
  return lines.map((line) => {
    const r = g.tokenizeLine(line, state);
    state = r.ruleStack;
    return r.tokens.map((t) => [line.slice(t.startIndex, t.endIndex).trim(), t.scopes[t.scopes.length - 1]!] as [string, string]).filter(([text]) => text.trim() !== '');
  });
}

describe('TextMate grammar', () => {
  it('is valid JSON for source.o2a', () => {
    const raw = JSON.parse(readFileSync(join(extensionDir, 'syntaxes', 'o2a.tmLanguage.json'), 'utf8')) as { scopeName: string };
    expect(raw.scopeName).toBe('source.o2a');
  });

  it('tokenises a step line: keyword, step name, step kind, durations, catalog name', async () => {
    const [line] = await tokenise(['  step ont: resource_reservation after internet { resource ONT_GPON  timeout 10m  retry 5 every 1m }']);
    expect(line).toEqual([
      ['step', 'storage.type.step.o2a'],
      ['ont', 'entity.name.function.step.o2a'],
      [':', 'punctuation.separator.colon.o2a'],
      ['resource_reservation', 'support.type.step-kind.o2a'],
      ['after', 'keyword.other.o2a'],
      ['internet', 'source.o2a'],
      ['{', 'punctuation.section.block.begin.o2a'],
      ['resource', 'keyword.other.property.o2a'],
      ['ONT_GPON', 'variable.other.constant.catalog.o2a'],
      ['timeout', 'keyword.other.property.o2a'],
      ['10m', 'constant.numeric.duration.o2a'],
      ['retry', 'keyword.other.property.o2a'],
      ['5', 'constant.numeric.integer.o2a'],
      ['every', 'keyword.other.o2a'],
      ['1m', 'constant.numeric.duration.o2a'],
      ['}', 'punctuation.section.block.end.o2a'],
    ]);
  });

  it('tokenises comments, doc comments, strings with escapes, operators and the catalog line', async () => {
    const lines = await tokenise([
      'catalog telco-core 2026.11 // pinned',
      '/// Doc for the plan.',
      '/* block',
      '   still block */ skip when item.installation == "se\\"lf" and not item.routerIncluded',
    ]);
    expect(lines[0]).toEqual([
      ['catalog', 'keyword.other.catalog.o2a'],
      ['telco-core', 'entity.name.namespace.o2a'],
      ['2026.11', 'constant.numeric.version.o2a'],
      ['//', 'punctuation.definition.comment.o2a'],
      ['pinned', 'comment.line.double-slash.o2a'],
    ]);
    expect(lines[1]).toEqual([['///', 'punctuation.definition.comment.o2a'], ['Doc for the plan.', 'comment.line.documentation.o2a']]);
    expect(lines[2]!.map(([, s]) => s)).toEqual(['punctuation.definition.comment.begin.o2a', 'comment.block.o2a']);
    expect(lines[3]).toContainEqual(['*/', 'punctuation.definition.comment.end.o2a']);
    expect(lines[3]).toContainEqual(['==', 'keyword.operator.comparison.o2a']);
    expect(lines[3]).toContainEqual(['\\"', 'constant.character.escape.o2a']);
    expect(lines[3]).toContainEqual(['and', 'keyword.operator.logical.o2a']);
    expect(lines[3]).toContainEqual(['not', 'keyword.operator.logical.o2a']);
  });
});

describe('extension manifest and packaging', () => {
  it('registers .o2a with the grammar and the language configuration', () => {
    const manifest = JSON.parse(readFileSync(join(extensionDir, 'package.json'), 'utf8')) as {
      main: string;
      contributes: { languages: { id: string; extensions: string[]; configuration: string }[]; grammars: { language: string; path: string }[] };
    };
    expect(manifest.contributes.languages[0]).toMatchObject({ id: 'o2a', extensions: ['.o2a'] });
    expect(manifest.contributes.grammars[0]).toMatchObject({ language: 'o2a', path: './syntaxes/o2a.tmLanguage.json' });
    const config = JSON.parse(readFileSync(join(extensionDir, manifest.contributes.languages[0]!.configuration), 'utf8')) as {
      comments: { lineComment: string; blockComment: string[] };
      autoClosingPairs: { open: string; close: string }[];
    };
    expect(config.comments).toEqual({ lineComment: '//', blockComment: ['/*', '*/'] });
    expect(config.autoClosingPairs.map((p) => p.open)).toEqual(['{', '[', '(', '"', '/*']);
  });

  it('packages into a .vsix holding the bundled client, grammar and manifest', () => {
    const out = mkdtempSync(join(tmpdir(), 'o2a-vsix-'));
    try {
      const printed = execFileSync(process.execPath, ['--import', 'tsx', join(extensionDir, 'scripts', 'package.mts'), '--out', out], {
        cwd: repoRoot,
        encoding: 'utf8',
      });
      const vsix = printed.trim().split('\n').pop()!;
      expect(vsix).toBe(join(out, 'o2a-vscode-0.1.0.vsix'));
      expect(statSync(vsix).size).toBeGreaterThan(10_000);
      const listing = execFileSync('unzip', ['-l', vsix], { encoding: 'utf8' });
      for (const entry of ['extension/package.json', 'extension/dist/extension.js', 'extension/syntaxes/o2a.tmLanguage.json', 'extension/language-configuration.json', 'extension.vsixmanifest']) {
        expect(listing).toContain(entry);
      }
      expect(listing).not.toContain('extension/src/');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
