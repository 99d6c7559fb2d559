// `n` / `last` paging over a sorted list, as the spec defines it for tags and the catalog:
// up to `n` items strictly after `last`; a next page exists when items remain after them.
import type { Page, PageRequest } from "./serving-store.js";
import { compareAscii } from "./repository.js";

export function paginate(sorted: readonly string[], { n, last }: PageRequest): Page {
  const start = last === undefined ? 0 : firstAfter(sorted, last);
  const end = n === undefined ? sorted.length : Math.min(sorted.length, start + n);
  const items = sorted.slice(start, end);
  // n = 0 asks for nothing and, per the spec, gets no Link either.
  const next = n !== undefined && n > 0 && end < sorted.length ? items[items.length - 1] : undefined;
  return next === undefined ? { items } : { items, next };
}

/** Index of the first item greater than `value` (binary search). */
function firstAfter(sorted: readonly string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareAscii(sorted[mid], value) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
