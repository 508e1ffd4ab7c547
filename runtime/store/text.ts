// Text PostgreSQL cannot store: a NUL character (text and jsonb refuse `\u0000`) and a lone UTF-16
// surrogate (not encodable as UTF-8). Whatever reaches the database from outside (an order, a
// scenario, an amendment's values, a cancel's reason, a callback) is checked with this first and
// refused naming the field, before anything is written.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be stored, or null when it can. */
export function unstorable(text: string): string | null {
  if (text.includes('\u0000')) return 'holds a NUL character (\\u0000), which cannot be stored';
  if (LONE_SURROGATE.test(text)) return 'holds an unpaired UTF-16 surrogate, which is not valid Unicode text';
  return null;
}

/**
 * The first string of a JSON-like value (a key or a value, at any depth) that cannot be stored:
 * its path (`productOrderItem.0.product.productCharacteristic.0.value`, `prefix` first) and why.
 * Walked without recursion: a deeply nested value cannot exhaust the stack.
 */
export function findUnstorable(value: unknown, prefix = ''): { path: string; problem: string } | null {
  const stack: { value: unknown; path: string }[] = [{ value, path: prefix }];
  const join = (path: string, key: string | number) => (path === '' ? String(key) : `${path}.${key}`);
  while (stack.length > 0) {
    const { value: v, path } = stack.pop() as { value: unknown; path: string };
    if (typeof v === 'string') {
      const problem = unstorable(v);
      if (problem) return { path: path === '' ? '(value)' : path, problem };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: join(path, i) });
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, child] = entries[i] as [string, unknown];
        const problem = unstorable(k);
        if (problem) return { path: join(path, k.replace(/[\u0000\uD800-\uDFFF]/g, '\uFFFD')), problem: `its name ${problem}` };
        stack.push({ value: child, path: join(path, k) });
      }
    }
  }
  return null;
}

/**
 * A text field of a request (an order or item id, a reason, who asks): what is wrong with it, or
 * null. Absent is fine unless required; else a non-empty string of at most 500 characters that
 * can be stored.
 */
export function requestTextProblem(value: unknown, field: string, required: boolean): { field: string; problem: string } | null {
  if (value === undefined && !required) return null;
  if (typeof value !== 'string' || value.trim() === '' || value.length > 500) {
    return { field, problem: `${field}: expected a non-empty string of at most 500 characters` };
  }
  const bad = unstorable(value);
  return bad ? { field, problem: `${field}: ${bad}` } : null;
}
