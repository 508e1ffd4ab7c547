// Binary search over anything kept in source order (tokens, comments, offsets, declarations).

/**
 * The first index of `list` whose item satisfies `reached`, a predicate that is false and then
 * true along the list (e.g. "starts at or after offset x"); `list.length` when no item does.
 */
export function firstIndex<T>(list: ArrayLike<T>, reached: (item: T) => boolean): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (reached(list[mid] as T)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
