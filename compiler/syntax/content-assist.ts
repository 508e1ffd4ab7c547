// What may come next at a cursor, from chevrotain's content assist: keywords, name slots, literals.
// The language server turns name slots into step names, catalog entries, templates and so on.
import { tokenMatcher, type IToken } from 'chevrotain';
import { contentAssistParser } from './parser.js';
import * as T from './tokens.js';

/** The grammar rule that holds the expected name: says which kind of name to propose. */
export type NameSlot =
  | 'declName' // a new name (plan, step, item, template, amendment): nothing to propose
  | 'stepRef' // a step of this plan
  | 'kindRef' // a step kind of the catalog
  | 'templateRef' // a template of this file
  | 'offeringRef' // an offering of the catalog
  | 'planRef' // a plan (bundle items)
  | 'catalogEntryRef' // a service, resource, work type, target or notification template (see the keyword before)
  | 'reference' // an order-item characteristic (`item.x`)
  | 'name'; // a component, compensation action, evidence, outcome, fallout group or status state

export interface ContentAssist {
  /** The partial word right before the cursor, which a completion replaces. */
  prefix: string;
  keywords: string[];
  nameSlots: NameSlot[];
  literals: ('number' | 'duration' | 'string' | 'version')[];
  punctuation: string[];
}

const empty = (prefix: string): ContentAssist => ({ prefix, keywords: [], nameSlots: [], literals: [], punctuation: [] });

const slotRules = new Set<string>(['declName', 'stepRef', 'kindRef', 'templateRef', 'offeringRef', 'planRef', 'catalogEntryRef', 'reference', 'name']);

export function expectedAt(source: string, offset: number): ContentAssist {
  try {
    return expectedAtUnsafe(source.slice(0, Math.max(0, Math.min(offset, source.length))));
  } catch {
    return empty('');
  }
}

function expectedAtUnsafe(before: string): ContentAssist {
  const lexed = T.o2aLexer.tokenize(before);
  const tokens: IToken[] = [...lexed.tokens];
  const comments = (lexed.groups['comments'] ?? []) as IToken[];
  const lastComment = comments[comments.length - 1];
  // Inside a comment or a string there is nothing to complete.
  if (lastComment && lastComment.endOffset! + 1 === before.length && !tokenMatcher(lastComment, T.BlockComment)) return empty('');
  let prefix = '';
  const last = tokens[tokens.length - 1];
  if (last && last.endOffset! + 1 === before.length) {
    if (tokenMatcher(last, T.UnterminatedString)) return empty('');
    if (tokenMatcher(last, T.Name)) {
      prefix = last.image;
      tokens.pop();
    }
  }
  const suggestions = contentAssistParser().computeContentAssist('document', tokens);
  const keywords = new Set<string>();
  const nameSlots = new Set<NameSlot>();
  const literals = new Set<ContentAssist['literals'][number]>();
  const punctuation = new Set<string>();
  for (const s of suggestions) {
    const type = s.nextTokenType;
    const rule = s.ruleStack[s.ruleStack.length - 1] ?? '';
    if (rule === 'stray') continue;
    if (T.keywordTokenTypes.has(type)) keywords.add(type.name.slice(3));
    else if (type === T.Name || type === T.ReferenceStart) {
      if (slotRules.has(rule)) nameSlots.add(rule as NameSlot);
    } else if (type === T.Numeric) {
      if (rule === 'catalogBinding') literals.add('version');
      else if (rule === 'plan' || rule === 'bundle' || (rule === 'retry' && s.nextTokenOccurrence === 1)) literals.add('number');
      else if (rule === 'stepProperty' || rule === 'retry') literals.add('duration');
      else {
        literals.add('number');
        literals.add('duration');
      }
    } else if (type === T.StringLiteral) literals.add('string');
    else if (T.punctuationTokenTypes.includes(type) || T.comparisonTokenTypes.includes(type)) punctuation.add(T.describeTokenType(type).slice(1, -1));
  }
  return { prefix, keywords: [...keywords].sort(), nameSlots: [...nameSlots].sort(), literals: [...literals].sort(), punctuation: [...punctuation].sort() };
}
