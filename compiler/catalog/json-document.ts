// A JSON text parsed with positions (Microsoft's jsonc-parser), so that every problem found in the
// data can point back at the characters it came from: JSON pointers map to tree nodes, nodes to ranges.
import * as jsonc from 'jsonc-parser';
import type { Position, Range } from '../diagnostics/index.js';

export type JsonPath = readonly (string | number)[];

export interface JsonSyntaxError {
  message: string;
  range: Range;
  /** Where in the document the parser was when it failed. */
  path: JsonPath;
}

export interface JsonDuplicateProperty {
  name: string;
  /** Path of the object holding both properties. */
  path: JsonPath;
  first: Range;
  duplicate: Range;
}

export class JsonDocument {
  private readonly lineStarts: number[];

  private constructor(readonly text: string, readonly root: jsonc.Node | undefined) {
    this.lineStarts = [0];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) this.lineStarts.push(i + 1);
    }
  }

  /** Strict JSON: comments and trailing commas are syntax errors. */
  static parse(text: string): { document: JsonDocument; errors: JsonSyntaxError[] } {
    const parseErrors: jsonc.ParseError[] = [];
    const root = jsonc.parseTree(text, parseErrors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const document = new JsonDocument(text, root);
    const errors = parseErrors.map((e): JsonSyntaxError => {
      const comma = trailingCommaBefore(text, e.offset);
      if (comma !== undefined) {
        return { message: 'trailing comma is not allowed', range: document.range(comma, comma + 1), path: safeLocationPath(text, comma) };
      }
      return {
        message: describeParseError(jsonc.printParseErrorCode(e.error)),
        range: document.range(e.offset, e.offset + Math.max(e.length, 1)),
        path: safeLocationPath(text, e.offset),
      };
    });
    return { document, errors };
  }

  position(offset: number): Position {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.lineStarts[mid]! <= clamped) low = mid;
      else high = mid - 1;
    }
    return { line: low, character: clamped - this.lineStarts[low]!, offset: clamped };
  }

  range(start: number, end: number): Range {
    return { start: this.position(start), end: this.position(Math.min(end, this.text.length)) };
  }

  /** The deepest node on the path that exists (a defaulted property is not in the text). */
  nodeAt(path: JsonPath): jsonc.Node | undefined {
    let node = this.root;
    for (const segment of path) {
      const next = node === undefined ? undefined : child(node, segment);
      if (next === undefined) break;
      node = next;
    }
    return node;
  }

  /** The range of the value at `path`, or of the nearest ancestor present in the text. */
  valueRange(path: JsonPath): Range {
    const node = this.nodeAt(path);
    return node ? this.range(node.offset, node.offset + node.length) : this.range(0, 0);
  }

  /**
   * Where to point for a problem with the value at `path` as a whole (an object lacking a
   * property, say): the property name it is the value of, else its first character, so that a
   * large object is not underlined entirely.
   */
  anchorRange(path: JsonPath): Range {
    const node = this.nodeAt(path);
    if (node === undefined) return this.range(0, 0);
    const key = propertyKeyOf(node);
    if (key) return this.range(key.offset, key.offset + key.length);
    if (node.type === 'object' || node.type === 'array') return this.range(node.offset, node.offset + 1);
    return this.range(node.offset, node.offset + node.length);
  }

  /** The range of the property name at `path` (its last segment), with quotes. */
  keyRange(path: JsonPath): Range {
    const node = this.exactNodeAt(path);
    const key = node ? propertyKeyOf(node) : undefined;
    return key ? this.range(key.offset, key.offset + key.length) : this.anchorRange(path);
  }

  exactNodeAt(path: JsonPath): jsonc.Node | undefined {
    let node = this.root;
    for (const segment of path) {
      if (node === undefined) return undefined;
      node = child(node, segment);
    }
    return node;
  }

  /** Properties given twice in one object: JSON.parse would silently keep the last. */
  duplicateProperties(): JsonDuplicateProperty[] {
    const found: JsonDuplicateProperty[] = [];
    const visit = (node: jsonc.Node, path: (string | number)[]): void => {
      if (node.type === 'object') {
        const seen = new Map<string, jsonc.Node>();
        for (const property of node.children ?? []) {
          const [key, value] = property.children ?? [];
          if (key === undefined || typeof key.value !== 'string') continue;
          const earlier = seen.get(key.value);
          if (earlier) {
            found.push({
              name: key.value,
              path,
              first: this.range(earlier.offset, earlier.offset + earlier.length),
              duplicate: this.range(key.offset, key.offset + key.length),
            });
          } else seen.set(key.value, key);
          if (value) visit(value, [...path, key.value]);
        }
      } else if (node.type === 'array') {
        (node.children ?? []).forEach((element, i) => visit(element, [...path, i]));
      }
    };
    if (this.root) visit(this.root, []);
    return found;
  }
}

/** JSON.parse keeps the last of duplicate properties; so does the lookup here. */
function child(node: jsonc.Node, segment: string | number): jsonc.Node | undefined {
  if (node.type === 'array') {
    const index = typeof segment === 'number' ? segment : /^\d+$/.test(segment) ? Number(segment) : -1;
    return node.children?.[index];
  }
  if (node.type === 'object') {
    let found: jsonc.Node | undefined;
    for (const property of node.children ?? []) {
      const [key, value] = property.children ?? [];
      if (key?.value === String(segment) && value !== undefined) found = value;
    }
    return found;
  }
  return undefined;
}

function propertyKeyOf(node: jsonc.Node): jsonc.Node | undefined {
  const parent = node.parent;
  if (parent?.type !== 'property') return undefined;
  const key = parent.children?.[0];
  return key !== node ? key : undefined;
}

/** The offset of a comma that directly precedes the `}` or `]` at `offset`, if any. */
function trailingCommaBefore(text: string, offset: number): number | undefined {
  if (text[offset] !== '}' && text[offset] !== ']') return undefined;
  let i = offset - 1;
  while (i >= 0 && /\s/.test(text[i]!)) i--;
  return text[i] === ',' ? i : undefined;
}

function safeLocationPath(text: string, offset: number): JsonPath {
  try {
    const path = [...jsonc.getLocation(text, offset).path];
    // Between properties the parser reports an empty name it was about to read.
    while (path.length > 0 && path[path.length - 1] === '') path.pop();
    return path;
  } catch {
    return [];
  }
}

const parseErrorDescriptions: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: "expected ':' after the property name",
  CommaExpected: "expected ',' between values",
  CloseBraceExpected: "expected ',' or '}'",
  CloseBracketExpected: "expected ',' or ']'",
  EndOfFileExpected: 'unexpected content after the end of the JSON value',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'incomplete number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character in string',
  InvalidCharacter: 'control character not allowed in a string',
};

function describeParseError(code: string): string {
  return parseErrorDescriptions[code] ?? 'invalid JSON';
}

/** `/productOfferings/3/lifecycleStatus`; `/` for the root. */
export function pointer(path: JsonPath): string {
  if (path.length === 0) return '/';
  return path.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

export function parsePointer(pointerText: string): string[] {
  if (pointerText === '' || pointerText === '/') return [];
  return pointerText.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}
