// Semantic tokens from the parser's token stream; names are classified by what they resolve to
// (step, template, plan, catalog entry, characteristic), so a soft keyword used as a name is
// coloured as a name.
import type { SemanticTokens, SemanticTokensLegend, SemanticTokensParams } from 'vscode-languageserver/node';
import type { SymbolTarget } from '../compiler/resolve/model.js';
import type { ServerContext } from './context.js';

export const tokenTypes = ['keyword', 'variable', 'string', 'number', 'operator', 'comment', 'type', 'function', 'enumMember', 'property', 'class', 'interface', 'namespace'] as const;
export const tokenModifiers = ['declaration', 'documentation', 'defaultLibrary'] as const;
export const semanticTokensLegend: SemanticTokensLegend = { tokenTypes: [...tokenTypes], tokenModifiers: [...tokenModifiers] };

type TokenType = (typeof tokenTypes)[number];
const typeIndex = (t: TokenType) => tokenTypes.indexOf(t);
const modifier = { declaration: 1, documentation: 2, defaultLibrary: 4 } as const;

function targetType(t: SymbolTarget): TokenType {
  switch (t.kind) {
    case 'step':
      return 'function';
    case 'template':
      return 'interface';
    case 'plan':
    case 'bundle':
      return 'class';
    case 'catalog':
      return t.section === 'stepKind' ? 'type' : t.section === 'characteristic' ? 'property' : 'enumMember';
  }
}

export function semanticTokens(ctx: ServerContext, params: SemanticTokensParams): SemanticTokens {
  const ws = ctx.workspace;
  const file = ws.names.fileOf(params.textDocument.uri);
  const parsed = ws.parsed(file);
  if (parsed === undefined) return { data: [] };
  const names = new Map<number, { type: TokenType; modifiers: number }>();
  const model = ws.analyse(file).compilation.model;
  for (const d of model.definitions) if (d.file === file) names.set(d.range.start.offset, { type: targetType(d.target), modifiers: modifier.declaration });
  for (const r of model.references) {
    if (r.file !== file) continue;
    names.set(r.range.start.offset, { type: targetType(r.target), modifiers: r.target.kind === 'catalog' ? modifier.defaultLibrary : 0 });
  }
  const catalogBinding = parsed.document.catalog;
  if (catalogBinding !== undefined) names.set(catalogBinding.id.range.start.offset, { type: 'namespace', modifiers: 0 });

  const data: number[] = [];
  let prevLine = 0;
  let prevChar = 0;
  const push = (line: number, character: number, length: number, type: TokenType, mods: number) => {
    if (length <= 0) return;
    data.push(line - prevLine, line === prevLine ? character - prevChar : character, length, typeIndex(type), mods);
    prevLine = line;
    prevChar = character;
  };
  for (const token of parsed.tokens) {
    const named = names.get(token.range.start.offset);
    let type: TokenType | undefined;
    let mods = 0;
    if (named !== undefined && (token.type === 'identifier' || token.type === 'keyword')) {
      type = named.type;
      mods = named.modifiers;
    } else {
      switch (token.type) {
        case 'keyword': type = 'keyword'; break;
        case 'identifier': type = 'variable'; break;
        case 'string': type = 'string'; break;
        case 'number':
        case 'duration':
        case 'version': type = 'number'; break;
        case 'operator': type = 'operator'; break;
        case 'comment':
          type = 'comment';
          if (token.text.startsWith('///')) mods = modifier.documentation;
          break;
        case 'punctuation': type = undefined; break;
      }
    }
    if (type === undefined) continue;
    const { start, end } = token.range;
    if (start.line === end.line) {
      push(start.line, start.character, end.character - start.character, type, mods);
      continue;
    }
    // A block comment over several lines: one token per line.
    const lines = token.text.split('\n');
    lines.forEach((text, i) => push(start.line + i, i === 0 ? start.character : 0, text.replace(/\r$/, '').length, type, mods));
  }
  return { data };
}
