import { readFileSync } from 'node:fs';

/** The full example of docs/language.md: the language's reference sample. */
export function docsExample(): string {
  const md = readFileSync(new URL('../../docs/language.md', import.meta.url), 'utf8');
  const block = md.split('```o2a\n')[1];
  if (!block) throw new Error('docs/language.md has no o2a example');
  return block.split('```')[0]!;
}
