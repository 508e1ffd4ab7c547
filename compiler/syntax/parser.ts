// The chevrotain grammar of the o2a language (see docs/language.md). Built once at module load.
// Name slots are small rules of their own (`stepRef`, `kindRef`, ...) in the content-assist parser,
// so that it can tell the language server which kind of name is expected; the parsing instance
// takes their Name token directly under the slot's key (see `slot`).
// Every block also accepts a run of stray tokens (`stray`), skipped up to the next thing that looks
// like the start of a member: one typo gives one diagnostic and the rest of the block still parses.
// Alternatives and option objects are built once per parser (`??=` into a field) rather than on
// every rule invocation: with hundreds of thousands of tokens, allocating (and, under tsx,
// naming) fresh closures per member was most of the parse time.
import { CstParser, EOF, tokenMatcher, type CstNode, type ParserMethod, type DSLMethodOpts, type IOrAlt, type IToken, type OrMethodOpts, type TokenType } from 'chevrotain';
import * as T from './tokens.js';
import { syntaxErrorMessages } from './messages.js';
import { maxExpressionNesting } from './ast.js';
import { closestMatch } from '../diagnostics/suggest.js';

const { Kw } = T;

/** Where a run of stray tokens sits; decides where skipping stops. */
export type StrayContext = 'document' | 'plan' | 'bundle' | 'properties' | 'cancel' | 'amend' | 'status';

const versionLabel = { LABEL: 'version' } as const;
const itemActionLabel = { LABEL: 'actionName' } as const;
const keywordLabel = { LABEL: 'keyword' } as const;
const durationLabel = { LABEL: 'duration' } as const;
const countLabel = { LABEL: 'count' } as const;
const everyLabel = { LABEL: 'every' } as const;
const initialLabel = { LABEL: 'initial' } as const;
const maxLabel = { LABEL: 'max' } as const;
const operandsLabel = { LABEL: 'operands' } as const;
const leftLabel = { LABEL: 'left' } as const;
const rightLabel = { LABEL: 'right' } as const;
const operatorLabel = { LABEL: 'operator' } as const;
const segmentLabel = { LABEL: 'segment' } as const;
const phaseLabel = { LABEL: 'phase' } as const;
const actionLabel = { LABEL: 'action' } as const;

const misspeltLabel = { LABEL: 'misspelt' } as const;
const stepLabel = { LABEL: 'step' } as const;
const stepWord = ['step'] as const;

const slotLabels: Record<string, { LABEL: string }> = {};

const blockKeywords: readonly TokenType[] = [Kw.defaults, Kw.cancel, Kw.status];

const propertyKeywords: TokenType[] = [
  Kw.owner, Kw.service, Kw.resource, Kw.work, Kw.target, Kw.template, Kw.timeout, Kw.on, Kw.retry,
  Kw.compensate, Kw.irreversible, Kw.evidence, Kw.skip, Kw.only,
];

interface RecoveryInternals {
  tryInRuleRecovery(this: CstParser, expected: TokenType, follows: TokenType[]): IToken;
  SKIP_TOKEN(this: CstParser): IToken;
  getTokenToInsert(this: CstParser, type: TokenType): IToken;
}

/**
 * The `(` tokens nested deeper than the limit. A rule starts after `when` (or a brace), so the
 * count starts again there: an unclosed `(` of one rule does not deepen the next one.
 */
function deepParentheses(tokens: readonly IToken[]): Set<number> {
  const deep = new Set<number>();
  let depth = 0;
  for (const token of tokens) {
    if (tokenMatcher(token, T.LParen)) {
      depth++;
      if (depth > maxExpressionNesting) deep.add(token.startOffset);
    } else if (tokenMatcher(token, T.RParen)) {
      if (depth > 0) depth--;
    } else if (tokenMatcher(token, Kw.when) || tokenMatcher(token, T.LCurly) || tokenMatcher(token, T.RCurly)) depth = 0;
  }
  return deep;
}

class O2aParser extends CstParser {
  private strayDepth = 0;
  /** Without strays for content assist, where a stray path would make any keyword look possible. */
  private readonly withStrays: boolean;

  /**
   * `validate`: run chevrotain's grammar validations (ambiguities, left recursion, ...). They
   * take tens of milliseconds at every start of every command, so they run in the syntax tests
   * (`grammarDefinitionErrors`), not at run time.
   */
  constructor(withStrays: boolean, validate = false) {
    // Node offsets give the AST builder each node's span without walking its subtree.
    super(T.allTokenTypes, {
      recoveryEnabled: withStrays,
      maxLookahead: 1,
      errorMessageProvider: syntaxErrorMessages,
      nodeLocationTracking: 'onlyOffset',
      skipValidations: !validate,
    });
    this.withStrays = withStrays;
    this.performSelfAnalysis();
  }

  /** The index of the last token consumed (-1 before the first): how far a rule invoked on its own read. */
  tokenIndex(): number {
    return (this as unknown as { exportLexerState(): number }).exportLexerState();
  }

  private groupBalance = 0;
  private depthInput: IToken[] | undefined;
  /** The nesting depth of each `(` of the input, by start offset; only those beyond the limit. */
  private deepParens = new Set<number>();

  /** LA(1) is a `(` nested deeper than `maxExpressionNesting`. */
  private tooDeep(): boolean {
    const token = this.LA(1);
    if (!tokenMatcher(token, T.LParen)) return false;
    const input = this.input;
    if (input !== this.depthInput) {
      this.depthInput = input;
      this.deepParens = deepParentheses(input);
    }
    return this.deepParens.has(token.startOffset);
  }

  private is(k: number, type: TokenType): boolean {
    return tokenMatcher(this.LA(k), type);
  }

  private isAny(k: number, types: readonly TokenType[]): boolean {
    const token = this.LA(k);
    for (const t of types) if (tokenMatcher(token, t)) return true;
    return false;
  }

  /** The tokens at LA(1 + skip).. look like the beginning of a valid member of `context`. */
  looksLikeStart(context: StrayContext, skip = 0): boolean {
    switch (context) {
      case 'document':
        return (
          ((this.is(1 + skip, Kw.plan) || this.is(1 + skip, Kw.bundle)) && this.is(2 + skip, T.Name) && (this.is(3 + skip, Kw.version) || this.is(3 + skip, Kw.for))) ||
          (this.is(1 + skip, Kw.template) && this.is(2 + skip, T.Name) && this.is(3 + skip, T.Colon))
        );
      case 'plan':
        return (
          (this.is(1 + skip, Kw.step) && this.is(2 + skip, T.Name) && (this.is(3 + skip, T.Colon) || this.is(3 + skip, Kw.from))) ||
          (this.withStrays && this.misspeltStepAhead(skip)) ||
          (this.is(1 + skip, Kw.billing) && this.is(2 + skip, Kw.starts)) ||
          (this.isAny(1 + skip, blockKeywords) && this.is(2 + skip, T.LCurly)) ||
          (this.is(1 + skip, Kw.amend) && this.is(2 + skip, T.Name) && this.is(3 + skip, T.LCurly)) ||
          (this.is(1 + skip, Kw.completion) && (this.is(2 + skip, Kw.all) || this.is(2 + skip, Kw.partial)))
        );
      case 'bundle':
        return (
          (this.is(1 + skip, Kw.item) && this.is(2 + skip, T.Name) && this.is(3 + skip, T.Colon)) ||
          (this.is(1 + skip, Kw.billing) && this.is(2 + skip, Kw.starts)) ||
          (this.is(1 + skip, Kw.status) && this.is(2 + skip, T.LCurly)) ||
          (this.is(1 + skip, Kw.completion) && (this.is(2 + skip, Kw.all) || this.is(2 + skip, Kw.partial)))
        );
      case 'properties':
        return skip === 0 && this.looksLikePropertyStart();
      case 'cancel':
        return (this.is(1 + skip, Kw.before) || this.is(1 + skip, Kw.after)) && this.is(2 + skip, T.Name) && this.is(3 + skip, T.Colon);
      case 'amend':
        return (
          ((this.is(1 + skip, Kw.replan) || this.is(1 + skip, Kw.until)) && this.is(2 + skip, T.Name)) ||
          (this.is(1 + skip, Kw.after) && this.is(2 + skip, T.Name) && this.is(3 + skip, T.Colon))
        );
      case 'status':
        return this.is(1 + skip, T.Name) && (this.is(2 + skip, T.Colon) || (this.is(2 + skip, T.Name) && this.is(3 + skip, T.Colon)));
    }
  }

  /** `stpe verify:` or `stpe verify from`: a misspelt `step` (a lower-case word one or two edits away) starting a step. */
  private misspeltStepAhead(skip: number): boolean {
    if (!this.is(1 + skip, T.Identifier) || !this.is(2 + skip, T.Name) || !(this.is(3 + skip, T.Colon) || this.is(3 + skip, Kw.from))) return false;
    const word = this.LA(1 + skip).image;
    return T.couldBeMisspeltKeyword(word) && closestMatch(word, stepWord) === 'step';
  }

  private looksLikePropertyStart(): boolean {
    if (!this.isAny(1, propertyKeywords)) return false;
    if (this.is(1, Kw.irreversible)) return true;
    if (this.is(1, Kw.timeout)) return this.is(2, T.Numeric);
    if (this.is(1, Kw.retry)) return this.is(2, T.Numeric) || this.is(2, Kw.none);
    if (this.is(1, Kw.skip) || this.is(1, Kw.only)) return this.is(2, Kw.when);
    return this.is(2, T.Name);
  }

  /**
   * `}` or the end of the file. In a plan or bundle, a `}` followed by a member of it (`} step x:`)
   * is a stray brace, skipped and reported, not the end: the rest of the plan is still read.
   */
  private atBlockEnd(context?: StrayContext): boolean {
    if (this.is(1, EOF)) return true;
    if (!this.is(1, T.RCurly)) return false;
    if (!this.withStrays || (context !== 'plan' && context !== 'bundle')) return true;
    return !this.looksLikeStart(context, 1) || this.looksLikeStart('document', 1);
  }

  /** The start of something that belongs to an enclosing block: the `}` of this one is missing. */
  private atOuterStart(context: StrayContext): boolean {
    // A member of this block wins: `status { step running: "..." }` names a step called `step`.
    if (this.looksLikeStart(context)) return false;
    switch (context) {
      case 'document':
        return false;
      case 'plan':
      case 'bundle':
        return this.looksLikeStart('document');
      default:
        return this.looksLikeStart('plan') || this.looksLikeStart('bundle') || this.looksLikeStart('document');
    }
  }

  /** A block member may follow until `}`, the end of the file or the start of an enclosing member. */
  private inBlock(context: StrayContext): boolean {
    return !this.atBlockEnd(context) && !(this.withStrays && this.atOuterStart(context));
  }

  /**
   * `}`; when it is missing before the next member of an enclosing block, nothing: the CST then has
   * no RCurly and the AST builder reports the missing brace once.
   */
  private closeBlock(): void {
    if (!this.withStrays) {
      this.CONSUME9(T.RCurly);
      return;
    }
    this.OR9((this.closeAlts ??= {
      MAX_LOOKAHEAD: 1,
      IGNORE_AMBIGUITIES: true,
      DEF: [
        { ALT: () => this.CONSUME9(T.RCurly) },
        { GATE: () => !this.is(1, T.RCurly), ALT: () => undefined },
      ],
    }));
  }

  // chevrotain recovers in a rule by inserting or deleting one token; a misspelt keyword
  // (`fro offering`) needs one replaced, else the whole declaration would be skipped.
  protected tryInRuleRecovery(expected: TokenType, follows: TokenType[]): IToken {
    const internals = CstParser.prototype as unknown as RecoveryInternals;
    try {
      return internals.tryInRuleRecovery.call(this, expected, follows);
    } catch (e) {
      const next = this.LA(2);
      if (tokenMatcher(this.LA(1), T.Name) && follows.some((f) => tokenMatcher(next, f))) {
        internals.SKIP_TOKEN.call(this);
        return internals.getTokenToInsert.call(this, expected);
      }
      throw e;
    }
  }

  private strayContext: StrayContext = 'document';

  private skipStray(context: StrayContext): void {
    this.ACTION(() => {
      this.strayContext = context;
    });
    this.SUBRULE(this.stray);
  }

  private stray = this.RULE('stray', () => {
    const context = (): StrayContext => this.strayContext;
    const track = (token: IToken): void => {
      this.ACTION(() => {
        if (tokenMatcher(token, T.LCurly)) this.strayDepth++;
        else if (tokenMatcher(token, T.RCurly) && this.strayDepth > 0) this.strayDepth--;
      });
    };
    this.ACTION(() => {
      this.strayDepth = 0;
    });
    track(this.CONSUME(T.AnyToken));
    this.MANY({
      MAX_LOOKAHEAD: 1,
      GATE: () =>
        !this.is(1, EOF) &&
        !(this.strayDepth === 0 && ((context() !== 'document' && this.is(1, T.RCurly)) || this.looksLikeStart(context()) || this.atOuterStart(context()))),
      DEF: () => track(this.CONSUME2(T.AnyToken)),
    });
  });

  /** Members are told apart by their first token; the stray alternative, which takes any token, comes last. */
  private members(alts: (IOrAlt<unknown> | undefined)[]): OrMethodOpts<unknown> {
    return { MAX_LOOKAHEAD: 1, IGNORE_AMBIGUITIES: true, DEF: alts.filter((a): a is IOrAlt<unknown> => a !== undefined) };
  }

  /** The members of a block, one after the other, while `inBlock(context)`. */
  private block(context: StrayContext, alts: (IOrAlt<unknown> | undefined)[]): DSLMethodOpts<unknown> {
    const members = this.members([...alts, this.strayAlt(context)]);
    return {
      MAX_LOOKAHEAD: 1,
      GATE: () => this.inBlock(context),
      DEF: () => this.OR(members),
    };
  }

  private strayAlt(context: StrayContext): IOrAlt<unknown> | undefined {
    if (!this.withStrays) return undefined;
    return {
      GATE: () => !this.atBlockEnd(context) && !this.looksLikeStart(context),
      ALT: () => this.skipStray(context),
    };
  }

  // Built on first use (during self-analysis, once `withStrays` is set), then reused.
  private closeAlts?: OrMethodOpts<unknown>;
  private documentMembers?: DSLMethodOpts<unknown>;
  private planMembers?: DSLMethodOpts<unknown>;
  private propertyMembers?: DSLMethodOpts<unknown>;
  private cancelMembers?: DSLMethodOpts<unknown>;
  private amendMembers?: DSLMethodOpts<unknown>;
  private statusMembers?: DSLMethodOpts<unknown>;
  private bundleMembers?: DSLMethodOpts<unknown>;
  private stepAlts?: IOrAlt<unknown>[];
  private propertyAlts?: IOrAlt<unknown>[];
  private catalogKeyAlts?: IOrAlt<unknown>[];
  private ruleModeAlts?: IOrAlt<unknown>[];
  private retryAlts?: IOrAlt<unknown>[];
  private backoffAlts?: IOrAlt<unknown>[];
  private actionAlts?: IOrAlt<unknown>[];
  private partyAlts?: IOrAlt<unknown>[];
  private falloutGroup?: DSLMethodOpts<unknown>;
  private comparisonAlts?: IOrAlt<unknown>[];
  private operatorAlts?: IOrAlt<unknown>[];
  private operandAlts?: IOrAlt<unknown>[];
  private literalAlts?: IOrAlt<unknown>[];
  private gatingAlts?: IOrAlt<unknown>[];
  private triggerAlts?: IOrAlt<unknown>[];
  private phaseAlts?: IOrAlt<unknown>[];
  private cancelActionAlts?: IOrAlt<unknown>[];
  private amendEntryAlts?: IOrAlt<unknown>[];
  private statusStep?: DSLMethodOpts<unknown>;
  private afterList?: DSLMethodOpts<unknown>;
  private completionAlts?: IOrAlt<unknown>[];

  /**
   * A name slot. For content assist it is a rule of its own (`declName`, `stepRef`, ...), so that
   * the language server learns which kind of name is expected; for parsing it is the Name token
   * itself under the slot's key (the rule's name, or a label such as `outcome`): a third of a
   * file's CST nodes were name slots, and building the CST is most of the parse time. `idx` tells
   * the occurrences of one rule apart (from 10 up, clear of the rule's own CONSUMEs).
   */
  private slot(idx: number, rule: ParserMethod<[], CstNode>, key: string): void {
    const options = (slotLabels[key] ??= { LABEL: key });
    if (this.withStrays) this.consume(idx, T.Name, options);
    else this.subrule(idx, rule, options);
  }

  // Name slots.
  declName = this.RULE('declName', () => this.CONSUME(T.Name));
  stepRef = this.RULE('stepRef', () => this.CONSUME(T.Name));
  kindRef = this.RULE('kindRef', () => this.CONSUME(T.Name));
  templateRef = this.RULE('templateRef', () => this.CONSUME(T.Name));
  offeringRef = this.RULE('offeringRef', () => this.CONSUME(T.Name));
  planRef = this.RULE('planRef', () => this.CONSUME(T.Name));
  catalogEntryRef = this.RULE('catalogEntryRef', () => this.CONSUME(T.Name));
  /** Names with no catalog or plan meaning for completion: components, actions, outcomes, states. */
  name = this.RULE('name', () => this.CONSUME(T.Name));

  document = this.RULE('document', () => {
    this.OPTION(() => this.SUBRULE(this.catalogBinding));
    this.MANY((this.documentMembers ??= (() => {
      const members = this.members([
        { ALT: () => this.SUBRULE(this.plan) },
        { ALT: () => this.SUBRULE(this.bundle) },
        { ALT: () => this.SUBRULE(this.template) },
        this.withStrays
          ? {
              GATE: () => !this.is(1, EOF) && !this.looksLikeStart('document'),
              ALT: () => this.skipStray('document'),
            }
          : undefined,
      ]);
      return { MAX_LOOKAHEAD: 1, GATE: () => !this.is(1, EOF), DEF: () => this.OR(members) };
    })()));
  });

  catalogBinding = this.RULE('catalogBinding', () => {
    this.CONSUME(Kw.catalog);
    this.slot(10, this.name, 'id');
    this.CONSUME(T.Numeric, versionLabel);
  });

  plan = this.RULE('plan', () => {
    this.declarationHead(Kw.plan);
    this.MANY((this.planMembers ??= this.block('plan', [
      { ALT: () => this.SUBRULE(this.step) },
      this.withStrays ? { GATE: () => this.misspeltStepAhead(0), ALT: () => this.SUBRULE(this.misspeltStep, stepLabel) } : undefined,
      { ALT: () => this.SUBRULE(this.defaults) },
      { ALT: () => this.SUBRULE(this.billing) },
      { ALT: () => this.SUBRULE(this.cancel) },
      { ALT: () => this.SUBRULE(this.amend) },
      { ALT: () => this.SUBRULE(this.status) },
      { ALT: () => this.SUBRULE(this.completion) },
    ])));
    this.closeBlock();
  });

  /**
   * `plan|bundle <name> [version <n>] for offering <offering> [action <action>, ...] {`: called inside the `plan` and
   * `bundle` rules (not a rule of its own), so its tokens stay children of their CST node.
   */
  private declarationHead(keyword: TokenType): void {
    this.CONSUME(keyword);
    this.slot(10, this.declName, 'declName');
    this.OPTION(() => {
      this.CONSUME(Kw.version);
      this.CONSUME(T.Numeric, versionLabel);
    });
    this.CONSUME(Kw.for);
    this.CONSUME(Kw.offering);
    this.slot(11, this.offeringRef, 'offeringRef');
    // `action delete` or `action add, modify`: the TMF622 item actions the declaration fulfils.
    this.OPTION2(() => {
      this.CONSUME(Kw.action);
      this.CONSUME2(T.Name, itemActionLabel);
      this.MANY2(() => {
        this.CONSUME(T.Comma);
        this.CONSUME3(T.Name, itemActionLabel);
      });
    });
    this.CONSUME(T.LCurly);
  }

  template = this.RULE('template', () => {
    this.CONSUME(Kw.template);
    this.slot(10, this.declName, 'declName');
    this.CONSUME(T.Colon);
    this.slot(11, this.kindRef, 'kindRef');
    this.SUBRULE(this.propertyBlock);
  });

  propertyBlock = this.RULE('propertyBlock', () => {
    this.CONSUME(T.LCurly);
    this.MANY((this.propertyMembers ??= this.block('properties', [{ ALT: () => this.SUBRULE(this.stepProperty) }])));
    this.closeBlock();
  });

  step = this.RULE('step', () => {
    this.CONSUME(Kw.step);
    this.stepBody();
  });

  /** `stpe verify: verification ...`: a step whose keyword is misspelt, read as a step (the AST builder reports the word). */
  misspeltStep = this.RULE('misspeltStep', () => {
    this.CONSUME(T.Identifier, misspeltLabel);
    this.stepBody();
  });

  /** What follows `step`: called inside the `step` and `misspeltStep` rules, so its tokens stay their children. */
  private stepBody(): void {
    this.slot(10, this.declName, 'declName');
    this.OR((this.stepAlts ??= [
      {
        ALT: () => {
          this.CONSUME(T.Colon);
          this.slot(11, this.kindRef, 'kindRef');
        },
      },
      {
        ALT: () => {
          this.CONSUME(Kw.from);
          this.slot(12, this.templateRef, 'templateRef');
        },
      },
    ]));
    this.OPTION2(() => {
      this.CONSUME(Kw.after);
      this.slot(13, this.stepRef, 'stepRef');
      // `after ont router`: a plain name right after a step name is the next one of the list with
      // its comma missing (the AST builder reports it), not the end of the step.
      this.MANY((this.afterList ??= {
        MAX_LOOKAHEAD: 1,
        GATE: () => this.is(1, T.Comma) || (this.withStrays && this.is(1, T.Identifier) && !this.misspeltStepAhead(0)),
        DEF: () => {
          this.OPTION4(() => this.CONSUME(T.Comma));
          this.slot(14, this.stepRef, 'stepRef');
        },
      }));
    });
    this.OPTION3(() => this.SUBRULE(this.propertyBlock));
  }

  defaults = this.RULE('defaults', () => {
    this.CONSUME(Kw.defaults);
    this.SUBRULE(this.propertyBlock);
  });

  stepProperty = this.RULE('stepProperty', () => {
    this.OR((this.propertyAlts ??= [
      {
        ALT: () => {
          this.CONSUME(Kw.owner, keywordLabel);
          this.slot(10, this.name, 'name');
        },
      },
      {
        ALT: () => {
          this.OR2((this.catalogKeyAlts ??= [
            { ALT: () => this.CONSUME(Kw.service, keywordLabel) },
            { ALT: () => this.CONSUME(Kw.resource, keywordLabel) },
            { ALT: () => this.CONSUME(Kw.work, keywordLabel) },
            { ALT: () => this.CONSUME(Kw.target, keywordLabel) },
            { ALT: () => this.CONSUME(Kw.template, keywordLabel) },
          ]));
          this.slot(11, this.catalogEntryRef, 'catalogEntryRef');
        },
      },
      {
        ALT: () => {
          this.CONSUME(Kw.timeout, keywordLabel);
          this.CONSUME(T.Numeric, durationLabel);
        },
      },
      {
        ALT: () => {
          this.CONSUME(Kw.on, keywordLabel);
          this.slot(12, this.name, 'outcome');
          this.SUBRULE(this.action);
        },
      },
      { ALT: () => this.SUBRULE(this.retry) },
      {
        ALT: () => {
          this.CONSUME(Kw.compensate, keywordLabel);
          this.slot(13, this.name, 'compensation');
          this.OPTION(() => {
            this.CONSUME(Kw.requires);
            this.CONSUME(Kw.approval);
          });
        },
      },
      { ALT: () => this.CONSUME(Kw.irreversible, keywordLabel) },
      {
        ALT: () => {
          this.CONSUME(Kw.evidence, keywordLabel);
          this.slot(14, this.name, 'evidence');
          this.MANY(() => {
            this.CONSUME(T.Comma);
            this.slot(15, this.name, 'evidence');
          });
        },
      },
      {
        ALT: () => {
          this.OR3((this.ruleModeAlts ??= [
            { ALT: () => this.CONSUME(Kw.skip, keywordLabel) },
            { ALT: () => this.CONSUME(Kw.only, keywordLabel) },
          ]));
          this.CONSUME(Kw.when);
          this.SUBRULE(this.expression);
        },
      },
    ]));
  });

  retry = this.RULE('retry', () => {
    this.CONSUME(Kw.retry);
    this.OR((this.retryAlts ??= [
      { ALT: () => this.CONSUME(Kw.none) },
      {
        ALT: () => {
          this.CONSUME(T.Numeric, countLabel);
          this.OPTION(() =>
            this.OR2((this.backoffAlts ??= [
              {
                ALT: () => {
                  this.CONSUME(Kw.every);
                  this.CONSUME2(T.Numeric, everyLabel);
                },
              },
              {
                ALT: () => {
                  this.CONSUME(Kw.exponential);
                  this.CONSUME3(T.Numeric, initialLabel);
                  this.OPTION2(() => {
                    this.CONSUME(Kw.max);
                    this.CONSUME4(T.Numeric, maxLabel);
                  });
                },
              },
            ])),
          );
          this.OPTION3(() => this.CONSUME(Kw.jitter));
          this.OPTION4(() => {
            this.CONSUME(Kw.same);
            this.CONSUME(Kw.key);
          });
        },
      },
    ]));
  });

  action = this.RULE('action', () => {
    this.OR((this.actionAlts ??= [
      { ALT: () => this.CONSUME(Kw.fail) },
      {
        ALT: () => {
          this.CONSUME(Kw.hold);
          this.OR2((this.partyAlts ??= [{ ALT: () => this.CONSUME(Kw.customer) }, { ALT: () => this.CONSUME(Kw.provider) }]));
          this.OPTION(() => this.CONSUME(T.StringLiteral));
        },
      },
      {
        ALT: () => {
          this.CONSUME(Kw.fallout);
          // A group name, unless the next token starts the next property (`fallout  timeout 5m`).
          this.OPTION2((this.falloutGroup ??= {
            GATE: () => !this.looksLikePropertyStart(),
            DEF: () => this.slot(10, this.name, 'group'),
          }));
        },
      },
      {
        ALT: () => {
          this.CONSUME(Kw.unknown);
          this.CONSUME(Kw.then);
          this.CONSUME(Kw.reconcile);
        },
      },
    ]));
  });

  expression = this.RULE('expression', () => {
    this.SUBRULE(this.andExpression, operandsLabel);
    this.MANY(() => {
      this.CONSUME(Kw.or);
      this.SUBRULE2(this.andExpression, operandsLabel);
    });
  });

  andExpression = this.RULE('andExpression', () => {
    this.SUBRULE(this.notExpression, operandsLabel);
    this.MANY(() => {
      this.CONSUME(Kw.and);
      this.SUBRULE2(this.notExpression, operandsLabel);
    });
  });

  // `not not x` is a run of `not`s, not a recursion: a long run cannot exhaust the stack (the AST
  // builder reports one deeper than the nesting limit).
  notExpression = this.RULE('notExpression', () => {
    this.MANY(() => this.CONSUME(Kw.not));
    this.SUBRULE(this.comparison);
  });

  comparison = this.RULE('comparison', () => {
    this.SUBRULE(this.operand, leftLabel);
    this.OPTION(() =>
      this.OR((this.comparisonAlts ??= [
        {
          ALT: () => {
            this.OR2((this.operatorAlts ??= T.comparisonTokenTypes.map((type) => ({ ALT: () => this.CONSUME(type, operatorLabel) }))));
            this.SUBRULE2(this.operand, rightLabel);
          },
        },
        {
          ALT: () => {
            this.OPTION2(() => this.CONSUME(Kw.not));
            this.CONSUME(Kw.in);
            this.CONSUME(T.LBracket);
            this.SUBRULE(this.literal);
            this.MANY(() => {
              this.CONSUME(T.Comma);
              this.SUBRULE2(this.literal);
            });
            this.CONSUME(T.RBracket);
          },
        },
      ])),
    );
  });

  operand = this.RULE('operand', () => {
    this.OR((this.operandAlts ??= [
      {
        GATE: () => !this.tooDeep(),
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.expression);
          this.CONSUME(T.RParen);
        },
      },
      // Parentheses deeper than the limit are read as one flat run of tokens up to the matching
      // `)` (the AST builder reports it): the parser's recursion stays bounded.
      { GATE: () => this.tooDeep(), ALT: () => this.SUBRULE(this.deepGroup) },
      { ALT: () => this.SUBRULE(this.reference) },
      { ALT: () => this.SUBRULE(this.literal) },
    ]));
  });

  deepGroup = this.RULE('deepGroup', () => {
    this.CONSUME(T.LParen);
    this.ACTION(() => {
      this.groupBalance = 0;
    });
    this.MANY({
      MAX_LOOKAHEAD: 1,
      GATE: () => !this.is(1, EOF) && !this.is(1, T.LCurly) && !this.is(1, T.RCurly) && !(this.groupBalance === 0 && this.is(1, T.RParen)) && !this.looksLikePropertyStart(),
      DEF: () => {
        const token = this.CONSUME(T.AnyToken);
        this.ACTION(() => {
          if (tokenMatcher(token, T.LParen)) this.groupBalance++;
          else if (tokenMatcher(token, T.RParen)) this.groupBalance--;
        });
      },
    });
    this.OPTION(() => this.CONSUME(T.RParen));
  });

  reference = this.RULE('reference', () => {
    this.CONSUME(T.ReferenceStart, segmentLabel);
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.CONSUME(T.Name, segmentLabel);
    });
  });

  literal = this.RULE('literal', () => {
    this.OR((this.literalAlts ??= [
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.Numeric) },
      { ALT: () => this.CONSUME(Kw.true) },
      { ALT: () => this.CONSUME(Kw.false) },
    ]));
  });

  billing = this.RULE('billing', () => {
    this.CONSUME(Kw.billing);
    this.CONSUME(Kw.starts);
    this.CONSUME(Kw.on);
    this.SUBRULE(this.trigger);
    this.OPTION(() => {
      this.CONSUME(T.Comma);
      this.OR((this.gatingAlts ??= [
        {
          ALT: () => {
            this.CONSUME(Kw.blocks);
            this.CONSUME(Kw.completion);
          },
        },
        {
          ALT: () => {
            this.CONSUME(Kw.revenue);
            this.CONSUME(Kw.assurance);
          },
        },
      ]));
    });
  });

  trigger = this.RULE('trigger', () => {
    this.OR((this.triggerAlts ??= [
      { ALT: () => this.CONSUME(Kw.acceptance) },
      { ALT: () => this.CONSUME(Kw.activation) },
      {
        ALT: () => {
          this.CONSUME(Kw.customer);
          this.CONSUME2(Kw.acceptance);
        },
      },
      {
        ALT: () => {
          this.CONSUME(Kw.first);
          this.CONSUME(Kw.usage);
        },
      },
      {
        ALT: () => {
          this.CONSUME(Kw.scheduled);
          this.CONSUME(Kw.date);
          this.SUBRULE(this.reference);
        },
      },
    ]));
  });

  cancel = this.RULE('cancel', () => {
    this.CONSUME(Kw.cancel);
    this.CONSUME(T.LCurly);
    this.MANY((this.cancelMembers ??= this.block('cancel', [{ ALT: () => this.SUBRULE(this.cancelRule) }])));
    this.closeBlock();
  });

  cancelRule = this.RULE('cancelRule', () => {
    this.OR((this.phaseAlts ??= [{ ALT: () => this.CONSUME(Kw.before, phaseLabel) }, { ALT: () => this.CONSUME(Kw.after, phaseLabel) }]));
    this.slot(10, this.stepRef, 'stepRef');
    this.CONSUME(T.Colon);
    this.OR2((this.cancelActionAlts ??= [
      { ALT: () => this.CONSUME(Kw.stop, actionLabel) },
      {
        ALT: () => {
          this.CONSUME(Kw.compensate, actionLabel);
          this.OPTION(() => {
            this.CONSUME(Kw.requires);
            this.CONSUME(Kw.approval);
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(Kw.reject, actionLabel);
          this.OPTION2(() => this.CONSUME(T.StringLiteral));
        },
      },
    ]));
  });

  amend = this.RULE('amend', () => {
    this.CONSUME(Kw.amend);
    this.slot(10, this.declName, 'declName');
    this.CONSUME(T.LCurly);
    this.MANY((this.amendMembers ??= this.block('amend', [{ ALT: () => this.SUBRULE(this.amendEntry) }])));
    this.closeBlock();
  });

  amendEntry = this.RULE('amendEntry', () => {
    this.OR((this.amendEntryAlts ??= [
      {
        ALT: () => {
          this.CONSUME(Kw.replan);
          this.slot(10, this.stepRef, 'stepRef');
          this.MANY(() => {
            this.CONSUME(T.Comma);
            this.slot(11, this.stepRef, 'stepRef');
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(Kw.until);
          this.slot(12, this.stepRef, 'stepRef');
        },
      },
      {
        ALT: () => {
          this.CONSUME(Kw.after);
          this.slot(13, this.stepRef, 'stepRef');
          this.CONSUME(T.Colon);
          this.CONSUME(Kw.reject);
          this.OPTION(() => this.CONSUME(T.StringLiteral));
        },
      },
    ]));
  });

  status = this.RULE('status', () => {
    this.CONSUME(Kw.status);
    this.CONSUME(T.LCurly);
    this.MANY((this.statusMembers ??= this.block('status', [{ ALT: () => this.SUBRULE(this.statusEntry) }])));
    this.closeBlock();
  });

  statusEntry = this.RULE('statusEntry', () => {
    this.OPTION((this.statusStep ??= {
      GATE: () => this.is(2, T.Name),
      DEF: () => this.slot(10, this.stepRef, 'stepRef'),
    }));
    this.slot(11, this.name, 'state');
    this.CONSUME(T.Colon);
    this.CONSUME(T.StringLiteral);
  });

  completion = this.RULE('completion', () => {
    this.CONSUME(Kw.completion);
    this.OR((this.completionAlts ??= [
      { ALT: () => this.CONSUME(Kw.all) },
      {
        ALT: () => {
          this.CONSUME(Kw.partial);
          this.CONSUME(Kw.allowed);
        },
      },
    ]));
  });

  bundle = this.RULE('bundle', () => {
    this.declarationHead(Kw.bundle);
    this.MANY((this.bundleMembers ??= this.block('bundle', [
      { ALT: () => this.SUBRULE(this.item) },
      { ALT: () => this.SUBRULE(this.billing) },
      { ALT: () => this.SUBRULE(this.completion) },
      { ALT: () => this.SUBRULE(this.status) },
    ])));
    this.closeBlock();
  });

  item = this.RULE('item', () => {
    this.CONSUME(Kw.item);
    this.slot(10, this.declName, 'declName');
    this.CONSUME(T.Colon);
    this.slot(11, this.planRef, 'planRef');
    this.OPTION(() => this.CONSUME(Kw.optional));
  });
}
export const o2aParser = new O2aParser(true);

/** The grammar's definition errors, as chevrotain's validations report them (by throwing). */
export function grammarDefinitionErrors(): string[] {
  return [true, false].flatMap((withStrays) => {
    try {
      new O2aParser(withStrays, true);
      return [];
    } catch (error) {
      return [error instanceof Error ? error.message : String(error)];
    }
  });
}

let assistParser: O2aParser | undefined;
/** Built on first use: only the language server asks for content assist. */
export function contentAssistParser(): O2aParser {
  assistParser ??= new O2aParser(false);
  return assistParser;
}
