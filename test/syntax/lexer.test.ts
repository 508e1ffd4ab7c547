// The lexer and the parser: their definitions pass chevrotain's validations (skipped at run time
// for start-up speed), keywords are told from names by the whole word, and the offsets-only
// tokenization the parser uses agrees with the full one.
import { Lexer } from 'chevrotain';
import { describe, expect, it } from 'vitest';
import { allTokenTypes, Identifier, Kw, lexerConfig, o2aLexer } from '../../compiler/syntax/tokens.js';
import { grammarDefinitionErrors } from '../../compiler/syntax/parser.js';

describe('lexer', () => {
  it('has token definitions that pass chevrotain validation and can be optimized', () => {
    const lexer = new Lexer(allTokenTypes, { ...lexerConfig, skipValidations: false, deferDefinitionErrorsHandling: true });
    expect(lexer.lexerDefinitionErrors).toEqual([]);
  });

  it('tells keywords from names by the whole word', () => {
    const types = (text: string) => o2aLexer.tokenize(text).tokens.map((t) => t.tokenType.name);
    expect(types('only on onlyx on-call in inx step steps')).toEqual([
      Kw.only.name, Kw.on.name, Identifier.name, Identifier.name, Kw.in.name, Identifier.name, Kw.step.name, Identifier.name,
    ]);
    expect(types('Step ON')).toEqual([Identifier.name, Identifier.name]);
    expect(types('timeout 10m')).toEqual([Kw.timeout.name, 'Duration']);
  });

  it('gives the parser the same tokens and offsets with or without line tracking', () => {
    const source = 'plan P for offering X {\n  /// doc\n  step a: activation after b { timeout 5m /* x */ on timeout fail }\n  skip when item.x in ["a", "b"] and not item.y\n}\n';
    const full = o2aLexer.tokenize(source);
    const offsets = o2aLexer.tokenizeOffsets(source);
    const shape = (r: typeof full) => r.tokens.map((t) => [t.image, t.tokenType.name, t.startOffset, t.endOffset]);
    expect(shape(offsets)).toEqual(shape(full));
    const comments = (r: typeof full) => (r.groups['comments'] ?? []).map((t) => [t.image, t.startOffset, t.endOffset]);
    expect(comments(offsets)).toEqual(comments(full));
    expect(comments(full)).toHaveLength(2);
  });
});

describe('parser', () => {
  it('has a grammar that passes chevrotain validation (skipped at run time)', () => {
    expect(grammarDefinitionErrors()).toEqual([]);
  });
});
