import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { paginate } from "./pagination.js";
import { compareAscii } from "./repository.js";

describe("n/last paging", () => {
  it("walks every item exactly once, in order, following next", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,8}$/)),
        fc.integer({ min: 1, max: 7 }),
        (names, n) => {
          const sorted = [...names].sort(compareAscii);
          const seen: string[] = [];
          let last: string | undefined;
          for (let guard = 0; guard <= sorted.length; guard++) {
            const page = paginate(sorted, { n, last });
            expect(page.items.length).toBeLessThanOrEqual(n);
            seen.push(...page.items);
            if (page.next === undefined) break;
            last = page.next;
          }
          expect(seen).toEqual(sorted);
        },
      ),
    );
  });

  it("answers nothing and no next for n=0, and starts after a last that is not in the list", () => {
    expect(paginate(["a", "b"], { n: 0 })).toEqual({ items: [] });
    expect(paginate(["a", "c", "e"], { last: "b" })).toEqual({ items: ["c", "e"] });
    expect(paginate(["a", "c", "e"], { last: "z" })).toEqual({ items: [] });
  });
});
