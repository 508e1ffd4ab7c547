// Lays elements out line by line and puts every comment back where the author left it:
// a comment on the same line as the code before it stays trailing that code, a comment on its own
// line stays above what follows it (or above the closing brace), and a comment inside a construct
// (a step header, a billing line, a property) stays between the same two words; a line comment
// (`//`, `///`) there ends the line and the construct goes on on the next line. Comments are never
// dropped, reordered or moved past code, so a `///` is a doc comment after formatting exactly when
// it was one before (on a line of its own directly above a declaration, step or item).
// A step of one property is printed on one line when it fits and holds no comment.
import type { Comment } from '../syntax/ast.js';
import type { LineMap } from '../syntax/positions.js';
import { o2aLexer } from '../syntax/tokens.js';
import { maxLineWidth, type LayoutElement } from './print.js';

type Previous = 'start' | 'open' | 'element' | 'comment';
type Mode = 'document' | 'block';

const indentUnit = '  ';

export class Layout {
  private readonly out: string[] = [];
  /** Output lines that end with a line comment: nothing more may follow on them. */
  private readonly closedLines = new Set<number>();

  constructor(
    private readonly source: string,
    private readonly lines: LineMap,
    private readonly comments: readonly Comment[],
  ) {}

  render(elements: readonly LayoutElement[]): string {
    this.container(elements, 0, this.source.length, 0, 'document');
    while (this.out.length > 0 && this.out[this.out.length - 1] === '') this.out.pop();
    return this.out.length === 0 ? '' : `${this.out.join('\n')}\n`;
  }

  private commentsIn(from: number, to: number): Comment[] {
    return this.comments.filter((c) => c.range.start.offset >= from && c.range.start.offset < to);
  }

  private blankBetween(from: number, to: number): boolean {
    return /\n[ \t]*\r?\n|\r[ \t]*\r/.test(this.source.slice(from, to));
  }

  private lineOf(offset: number): number {
    return this.lines.position(offset).line;
  }

  private push(indent: number, text: string): void {
    this.out.push(indentUnit.repeat(indent) + text);
  }

  /** After the code of the current line, or on a line of its own when a line comment ends it. */
  private appendComment(comment: Comment, indent: number): void {
    const last = this.out.length - 1;
    if (last < 0 || this.closedLines.has(last)) this.push(indent, comment.text);
    else this.out[last] += ` ${comment.text}`;
    if (comment.kind !== 'block') this.closedLines.add(this.out.length - 1);
  }

  private ownLineComment(comment: Comment, indent: number): void {
    this.push(indent, comment.text);
    if (comment.kind !== 'block') this.closedLines.add(this.out.length - 1);
  }

  private container(children: readonly LayoutElement[], from: number, to: number, indent: number, mode: Mode): void {
    const comments = this.commentsIn(from, to).filter((c) => !children.some((e) => c.range.start.offset >= e.start && c.range.start.offset < e.end));
    type Item = { at: number; comment?: Comment; element?: LayoutElement };
    const items: Item[] = [
      ...comments.map((c) => ({ at: c.range.start.offset, comment: c })),
      ...children.map((e) => ({ at: e.start, element: e })),
    ].sort((a, b) => a.at - b.at);
    let previous: Previous = mode === 'document' ? 'start' : 'open';
    let previousEnd = from;
    for (const item of items) {
      const blank = this.blankBetween(previousEnd, item.at);
      if (item.comment) {
        const c = item.comment;
        if (previous !== 'start' && this.lineOf(c.range.start.offset) === this.lineOf(previousEnd)) {
          this.appendComment(c, indent);
        } else {
          if ((mode === 'document' && previous === 'element') || (blank && (previous === 'element' || previous === 'comment'))) this.out.push('');
          this.ownLineComment(c, indent);
        }
        previous = 'comment';
        previousEnd = c.range.end.offset;
      } else if (item.element) {
        const e = item.element;
        if ((mode === 'document' && previous === 'element') || (blank && (previous === 'element' || previous === 'comment'))) this.out.push('');
        this.element(e, indent);
        previous = 'element';
        previousEnd = e.end;
      }
    }
  }

  /**
   * `head` (the printed words of the source `[from, to)`) with the comments written among those
   * words kept between the same two words. A line comment ends its line; the words after it go on
   * on a line indented `continued`; with `brace`, a ` {` ends the head (on a line of its own at
   * `indent` when a line comment comes last). False, printing nothing, when the printed words do not
   * match the written ones one for one.
   */
  private headWithComments(head: string, from: number, to: number, comments: readonly Comment[], indent: number, continued: number, brace: boolean): boolean {
    const written = o2aLexer.tokenizeOffsets(this.source.slice(from, to));
    let printed = o2aLexer.tokenizeOffsets(head);
    // A step without properties written `{ }` is printed without the braces, unless a line comment
    // comes before its `}`: there the braces stay, so what follows them stays on their line.
    let extra = written.tokens.slice(printed.tokens.length).map((t) => t.image);
    if (extra.join(' ') === '{ }' && comments.some((c) => c.kind !== 'block' && c.range.start.offset < from + written.tokens[written.tokens.length - 1]!.startOffset)) {
      head = `${head} {}`;
      printed = o2aLexer.tokenizeOffsets(head);
      extra = [];
    }
    if (written.errors.length > 0 || printed.errors.length > 0 || written.tokens.length < printed.tokens.length || (extra.length > 0 && extra.join(' ') !== '{ }')) {
      return false;
    }
    const starts = printed.tokens.map((t) => t.startOffset);
    starts.push(head.length);
    let line = '';
    let lineIndent = indent;
    let done = 0;
    const add = (text: string): void => {
      if (text !== '') line = line === '' ? text : `${line} ${text}`;
    };
    const words = (upTo: number): void => {
      const text = upTo > done ? head.slice(starts[done], starts[upTo]).trim() : '';
      if (text === '}' && line === '') lineIndent = indent;
      add(text);
      done = Math.max(done, upTo);
    };
    let k = 0;
    for (const c of comments) {
      const at = c.range.start.offset - from;
      while (k < written.tokens.length && written.tokens[k]!.startOffset < at) k++;
      words(Math.min(k, printed.tokens.length));
      add(c.text);
      if (c.kind !== 'block') {
        this.push(lineIndent, line);
        this.closedLines.add(this.out.length - 1);
        line = '';
        // After the last word of a leaf, where the next run finds the comments outside the
        // construct (a step's empty `{ }` is not printed), a comment stays at the construct's level.
        lineIndent = brace || done < printed.tokens.length ? continued : indent;
      }
    }
    words(printed.tokens.length);
    if (brace) {
      if (line === '') lineIndent = indent;
      add('{');
    }
    if (line !== '') this.push(lineIndent, line);
    return true;
  }

  private element(e: LayoutElement, indent: number): void {
    if (!e.block) {
      const comments = this.commentsIn(e.start, e.end);
      if (comments.length > 0 && this.headWithComments(e.head, e.start, e.end, comments, indent, indent + 1, false)) return;
      this.push(indent, e.head);
      for (const c of comments) this.appendComment(c, indent);
      return;
    }
    const { open, close, children } = e.block;
    const headerComments = this.commentsIn(e.start, open);
    const bodyComments = this.commentsIn(open + 1, close);
    if (children.length === 0 && headerComments.length === 0 && bodyComments.length === 0) {
      this.push(indent, `${e.head} {}`);
      return;
    }
    const only = children[0];
    if (e.inline && children.length === 1 && only && !only.block && headerComments.length === 0 && bodyComments.length === 0) {
      const line = `${e.head} { ${only.head} }`;
      if (indentUnit.length * indent + line.length <= maxLineWidth) {
        this.push(indent, line);
        return;
      }
    }
    // A header continued after a line comment is indented two levels, apart from the body.
    if (headerComments.length === 0 || !this.headWithComments(e.head, e.start, open, headerComments, indent, indent + 2, true)) {
      this.push(indent, `${e.head} {`);
      // Words printed otherwise than written (not expected): the header's comments after `{`,
      // one that needs a line of its own indented as the body is, where the next run finds it.
      for (const c of headerComments) this.appendComment(c, indent + 1);
    }
    // The body starts on the line of `{`: a comment there trails the header line.
    this.container(children, open, close, indent + 1, 'block');
    this.push(indent, '}');
  }
}
