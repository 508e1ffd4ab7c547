// Completion by context: declaration and member keywords, step kinds where a step starts and after
// `step x:`, catalog names of the right section after `service`/`resource`/`work`/`target`/
// `template`, offerings, characteristics of the plan's offering after `item.` and their allowed
// values after a comparison, step names after `after` and in cancel/amend/status, templates after
// `from`, plans in bundles. Catalog descriptions come as documentation.
import { readdirSync } from 'node:fs';
import {
  CompletionItemKind, InsertTextFormat, MarkupKind, type CompletionItem, type CompletionList, type CompletionParams, type Range,
} from 'vscode-languageserver/node';
import type { CatalogSnapshot, Characteristic } from '../compiler/catalog/schema.js';
import type { CatalogSection } from '../compiler/resolve/model.js';
import type { ServerContext } from './context.js';
import type { UnitAnalysis } from './workspace.js';
import { catalogEntries, characteristicFacts, entryMarkdown } from './catalog-entries.js';
import {
  before, cursorContext, enclosing, isWord, listIntroducer, stepNamesOf, textBefore, type Block, type CursorContext,
} from './cursor-context.js';

const declarationKeywords = ['plan', 'bundle', 'template'];
const planMemberKeywords = ['step', 'defaults', 'billing', 'cancel', 'amend', 'status', 'completion'];
const bundleMemberKeywords = ['item', 'billing', 'status', 'completion'];
const propertyKeywords = ['owner', 'service', 'resource', 'work', 'target', 'template', 'timeout', 'retry', 'compensate', 'irreversible', 'evidence', 'on', 'skip', 'only'];
const catalogRefSection: Record<string, CatalogSection> = { service: 'service', resource: 'resource', work: 'work', target: 'target', template: 'template' };
const stepStates = ['running', 'waiting', 'held', 'failed', 'done'];
const orderStates = ['received', 'completed', 'held', 'failed', 'cancelling', 'cancelled'];
const comparison = new Set(['==', '!=', '<', '<=', '>', '>=']);

interface Completer {
  ctx: ServerContext;
  file: string;
  cursor: CursorContext;
  replace: Range;
  catalog: () => CatalogSnapshot | undefined;
  analysis: () => UnitAnalysis;
  items: CompletionItem[];
}

function add(c: Completer, label: string, kind: CompletionItemKind, extra: Partial<CompletionItem> = {}, insert = label): void {
  c.items.push({ label, kind, textEdit: { range: c.replace, newText: insert }, sortText: `${String(c.items.length).padStart(4, '0')}`, ...extra });
}

function keywords(c: Completer, words: string[]): void {
  for (const w of words) add(c, w, CompletionItemKind.Keyword);
}

function catalogNames(c: Completer, section: CatalogSection, offering?: string, quote = false): void {
  const catalog = c.catalog();
  if (catalog === undefined) return;
  for (const e of catalogEntries(catalog, section, offering)) {
    if (e.retired) continue;
    const kind = section === 'stepKind' ? CompletionItemKind.Class : section === 'characteristic' ? CompletionItemKind.Field : CompletionItemKind.Constant;
    add(c, e.id, kind, {
      detail: e.name !== e.id ? e.name : undefined,
      documentation: { kind: MarkupKind.Markdown, value: entryMarkdown(catalog, section, e) },
    }, quote ? `"${e.id}"` : e.id);
  }
}

function stepKindOf(c: Completer, block: Block | undefined): string | undefined {
  if (block === undefined) return undefined;
  if (block.stepKind !== undefined) return block.stepKind;
  if (block.template !== undefined) {
    const t = c.analysis().compilation.model.templates.get(block.template);
    return t?.decl.stepKind.name;
  }
  return undefined;
}

function stepNames(c: Completer): void {
  const plan = enclosing(c.cursor, 'plan');
  if (plan === undefined) return;
  for (const name of stepNamesOf(c.cursor, plan.open)) add(c, name, CompletionItemKind.Function, { detail: 'step' });
}

function characteristic(c: Completer, offering: string | undefined, name: string): Characteristic | undefined {
  if (offering === undefined) return undefined;
  return c.catalog()?.offerings.get(offering)?.productSpecification.characteristics.find((ch) => ch.name === name);
}

function values(c: Completer, ch: Characteristic | undefined): void {
  if (ch === undefined) return;
  if (ch.valueType === 'enum') {
    for (const v of ch.values) add(c, `"${v}"`, CompletionItemKind.EnumMember, { detail: `${ch.name}${ch.default === v ? ' (default)' : ''}`, filterText: `"${v}"` });
  } else if (ch.valueType === 'boolean') {
    keywords(c, ['true', 'false']);
  }
}

/** `item.<name> <op>` or `item.<name> in [ ... ,` before the cursor: the characteristic's name. */
function comparedCharacteristic(cur: CursorContext): string | undefined {
  let i = cur.at - 1;
  const t = (k: number) => cur.tokens[k]?.text;
  if (t(i) === '[' || t(i) === ',') {
    while (i >= 0 && t(i) !== '[') i--;
    if (t(i) !== '[' || t(i - 1) !== 'in') return undefined;
    i -= 2;
    if (t(i) === 'not') i--;
  } else if (comparison.has(t(i) ?? '')) {
    i -= 1;
  } else return undefined;
  if (isWord(cur.tokens[i]) && t(i - 1) === '.' && t(i - 2) === 'item') return t(i);
  return undefined;
}

function stepKindSnippets(c: Completer): void {
  const catalog = c.catalog();
  if (catalog === undefined) return;
  for (const e of catalogEntries(catalog, 'stepKind')) {
    c.items.push({
      label: `step: ${e.id}`,
      kind: CompletionItemKind.Snippet,
      detail: e.name,
      documentation: { kind: MarkupKind.Markdown, value: entryMarkdown(catalog, 'stepKind', e) },
      insertTextFormat: InsertTextFormat.Snippet,
      textEdit: { range: c.replace, newText: `step \${1:name}: ${e.id}\${2: after \${3:step}} {\n\t$0\n}` },
      filterText: `step ${e.id}`,
      sortText: `1${e.id}`,
    });
  }
}

function catalogVersions(c: Completer): void {
  const root = c.ctx.workspace.root;
  if (root === undefined) return;
  try {
    for (const v of readdirSync(`${root}/catalogs`).sort()) if (/^\d{4}\.\d{2}/.test(v)) add(c, v, CompletionItemKind.Value, { detail: `catalogs/${v}` });
  } catch {
    // No catalogs directory: nothing to offer.
  }
}

/** `for offering X action |` or `action add, |` in a plan or bundle header. */
function inActionList(cur: CursorContext): boolean {
  for (let n = 1; ; n += 2) {
    const word = textBefore(cur, n);
    if (word === 'action') return textBefore(cur, n + 2) === 'offering';
    if (word !== ',' || !isWord(before(cur, n + 1))) return false;
  }
}

const ITEM_ACTION_DOCS: Record<string, string> = {
  add: 'Provide the offering: a new order item (the default of a `new` offering\'s plan).',
  modify: 'Change an active service (the default of a `modify` offering\'s plan).',
  delete: 'Cease: take the service away.',
};

function itemActions(c: Completer): void {
  for (const [action, documentation] of Object.entries(ITEM_ACTION_DOCS)) add(c, action, CompletionItemKind.EnumMember, { detail: 'TMF622 item action', documentation });
}

function complete(c: Completer, invoked: boolean): void {
  const cur = c.cursor;
  const p1 = textBefore(cur, 1);
  const p2 = textBefore(cur, 2);
  const p3 = textBefore(cur, 3);
  const inner = cur.blocks[0];
  const plan = enclosing(cur, 'plan', 'bundle');

  // Names and values first: they do not depend on where a member starts.
  if (p1 === 'catalog' && inner === undefined) return;
  if (p2 === 'catalog' && inner === undefined && isWord(before(cur, 1))) return catalogVersions(c);
  if (p1 === 'offering' && p2 === 'for') return catalogNames(c, 'offering');
  if (inner === undefined && inActionList(cur)) return itemActions(c);
  if (p1 === ':' && (p3 === 'step' || p3 === 'template') && isWord(before(cur, 2))) return catalogNames(c, 'stepKind');
  if (p1 === 'from' && p3 === 'step') {
    const model = c.analysis().compilation.model;
    for (const t of model.templates.values()) add(c, t.name, CompletionItemKind.Interface, { detail: `template: ${t.decl.stepKind.name}`, documentation: t.decl.doc });
    return;
  }
  if (p1 === ':' && p3 === 'item' && inner?.kind === 'bundle') {
    const model = c.analysis().compilation.model;
    for (const p of model.plans.values()) add(c, p.name, CompletionItemKind.Class, { detail: `plan for ${p.decl.offering.name}`, documentation: p.decl.doc });
    return;
  }
  if (p1 === '.' && p2 === 'item') return catalogNames(c, 'characteristic', plan?.offering);
  const compared = comparedCharacteristic(cur);
  if (compared !== undefined) return values(c, characteristic(c, plan?.offering, compared));

  const list = listIntroducer(cur);
  if (inner?.kind === 'plan' && list?.word === 'after') return stepNames(c);
  if ((inner?.kind === 'cancel' && (p1 === 'before' || p1 === 'after'))
    || (inner?.kind === 'amend' && (list?.word === 'replan' || p1 === 'until' || p1 === 'after'))) return stepNames(c);
  if (inner?.kind === 'status') {
    if (p1 === '{' || before(cur, 1)?.type === 'string') {
      stepNames(c);
      for (const s of orderStates) add(c, s, CompletionItemKind.EnumMember, { detail: 'order state' });
      return;
    }
    if (isWord(before(cur, 1)) && (p2 === '{' || before(cur, 2)?.type === 'string')) {
      for (const s of stepStates) add(c, s, CompletionItemKind.EnumMember, { detail: 'step state' });
      return;
    }
    return;
  }

  if (inner?.kind === 'step' || inner?.kind === 'template' || inner?.kind === 'defaults') {
    const kindName = stepKindOf(c, inner);
    const kind = kindName !== undefined ? c.catalog()?.stepKinds.get(kindName) : undefined;
    const section = p1 !== undefined ? catalogRefSection[p1] : undefined;
    if (section !== undefined && isWord(before(cur, 1))) return catalogNames(c, section);
    if (p1 === 'owner') {
      const owners = new Set([...(c.catalog()?.stepKinds.values() ?? [])].map((k) => k.owner));
      for (const o of [...owners].sort()) add(c, o, CompletionItemKind.Module, { detail: 'component' });
      return;
    }
    if (p1 === 'compensate') {
      for (const a of kind?.compensations ?? []) add(c, a, CompletionItemKind.Method, { detail: `compensation of ${kind!.id}` });
      return;
    }
    if (p1 === 'on') {
      add(c, 'timeout', CompletionItemKind.Keyword);
      for (const o of kind?.outcomes ?? []) add(c, o, CompletionItemKind.Event, { detail: `outcome of ${kind!.id}` });
      return;
    }
    if (p2 === 'on' && isWord(before(cur, 1))) {
      keywords(c, ['fail', 'hold', 'fallout']);
      if (p1 === 'timeout') add(c, 'unknown then reconcile', CompletionItemKind.Keyword);
      return;
    }
    if (p1 === 'hold') return keywords(c, ['customer', 'provider']);
    if (p1 === 'skip' || p1 === 'only') return keywords(c, ['when']);
    if (p1 === 'when' || p1 === 'and' || p1 === 'or' || p1 === 'not' || p1 === '(') return add(c, 'item', CompletionItemKind.Variable, { detail: 'the order item' });
    if (list?.word === 'evidence') {
      const workRef = propertyValue(cur, inner, 'work');
      const work = workRef !== undefined ? c.catalog()?.workTypes.get(workRef) : undefined;
      for (const e of work?.evidence ?? []) add(c, e, CompletionItemKind.Value, { detail: `evidence of ${work!.id}` });
      return;
    }
    if (p1 === 'retry') return keywords(c, ['none']);
    if (invoked && startsMember(cur)) return keywords(c, propertyKeywords);
    return;
  }
  if (inner?.kind === 'plan' && plan !== undefined) {
    if (p1 === 'billing') return keywords(c, ['starts']);
    if (p1 === 'starts') return keywords(c, ['on']);
    if (p1 === 'on' && p2 === 'starts') {
      for (const t of ['acceptance', 'activation', 'customer acceptance', 'first usage', 'scheduled date']) add(c, t, CompletionItemKind.Keyword);
      return;
    }
    if (p1 === 'completion') return keywords(c, ['all', 'partial allowed']);
    if (invoked && startsMember(cur)) {
      keywords(c, planMemberKeywords);
      stepKindSnippets(c);
    }
    return;
  }
  if (inner?.kind === 'bundle') {
    if (p1 === 'completion') return keywords(c, ['all', 'partial allowed']);
    if (invoked && startsMember(cur)) keywords(c, bundleMemberKeywords);
    return;
  }
  if (inner === undefined && invoked && (p1 === undefined || p1 === '}' || before(cur, 1)?.type === 'version' || /^\d/.test(p1))) {
    keywords(c, p1 === undefined ? ['catalog', ...declarationKeywords] : declarationKeywords);
  }
}

/** The value of a simple property (`work X`) in the block, anywhere in it. */
function propertyValue(cur: CursorContext, block: Block, key: string): string | undefined {
  let depth = 0;
  for (let i = block.open; i < cur.tokens.length; i++) {
    const t = cur.tokens[i]!;
    if (t.text === '{') depth++;
    else if (t.text === '}' && --depth === 0) break;
    else if (depth === 1 && t.text === key && isWord(cur.tokens[i + 1])) return cur.tokens[i + 1]!.text;
  }
  return undefined;
}

/**
 * Whether the cursor is where a new member or property may start: after `{`, `}`, a string, a
 * number or duration, or a word that cannot be waiting for an argument.
 */
function startsMember(cur: CursorContext): boolean {
  const last = before(cur, 1);
  if (last === undefined) return true;
  if (last.text === '{' || last.text === '}') return true;
  if (last.type === 'string' || last.type === 'number' || last.type === 'duration') return true;
  if (last.type === 'punctuation' || last.type === 'operator') return false;
  const waiting = new Set(['step', 'owner', 'service', 'resource', 'work', 'target', 'template', 'timeout', 'retry', 'compensate', 'evidence', 'on', 'skip', 'only', 'when', 'every', 'exponential', 'max', 'hold', 'fallout', 'billing', 'starts', 'completion', 'after', 'before', 'from', 'amend', 'replan', 'until', 'not', 'and', 'or', 'in', 'item', 'for', 'offering', 'action', 'version', 'same', 'requires', 'unknown', 'then', 'scheduled', 'customer', 'first', 'partial', 'revenue', 'blocks']);
  return !waiting.has(last.text) || last.text === 'customer' && textBefore(cur, 2) === 'hold';
}

export function completion(ctx: ServerContext, params: CompletionParams): CompletionList {
  const ws = ctx.workspace;
  const file = ws.names.fileOf(params.textDocument.uri);
  const doc = ws.document(file);
  const tokens = ws.tokensOf(file);
  if (doc === undefined || tokens === undefined) return { isIncomplete: false, items: [] };
  const offset = doc.offsetAt(params.position);
  const cursor = cursorContext(tokens, offset);
  const c: Completer = {
    ctx,
    file,
    cursor,
    replace: { start: doc.positionAt(cursor.prefixStart), end: params.position },
    // A catalog (and the templates and plans of the unit) from the last analysis is good enough
    // here: completion must not wait for a full check of the workspace.
    analysis: () => ws.lastAnalysis(file) ?? ws.analyse(file),
    catalog: () => c.analysis().catalog,
    items: [],
  };
  // A space typed after a word only completes names and values, never keywords.
  const invoked = params.context?.triggerKind !== 2 || params.context.triggerCharacter !== ' ';
  complete(c, invoked);
  return { isIncomplete: false, items: c.items };
}
