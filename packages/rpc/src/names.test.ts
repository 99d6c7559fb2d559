import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isValidName, requireName } from "./names.js";
import { nextPageToken, pageWindow } from "./paging.js";

describe("names", () => {
  it("accepts every name of the allowed alphabet that starts with a letter or digit", () => {
    const name = fc
      .tuple(
        fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789"),
        fc.string({ unit: fc.constantFrom(..."abcxyz019._-"), maxLength: 254 }),
      )
      .map(([a, b]) => a + b);
    fc.assert(fc.property(name, (n) => isValidName(n) && requireName("name", n) === n));
  });

  it("rejects anything else with a message naming the field", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const ok = s.length > 0 && s.length <= 255 && /^[a-z0-9][a-z0-9._-]*$/.test(s);
        if (ok) return isValidName(s);
        expect(() => requireName("satellite name", s)).toThrow(/satellite name/);
        return !isValidName(s);
      }),
    );
    expect(() => requireName("group", "A")).toThrow(/lowercase/);
    expect(() => requireName("group", "a".repeat(256))).toThrow(/256 characters/);
    expect(() => requireName("group", "")).toThrow(/required/);
  });
});

describe("paging", () => {
  it("walks a list page by page and stops", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 50 }), (total, size) => {
        let token = "";
        let seen = 0;
        for (let i = 0; i < 1000; i++) {
          const w = pageWindow({ pageSize: size, pageToken: token });
          const count = Math.max(0, Math.min(w.limit, total - w.offset));
          seen += count;
          token = nextPageToken(w, count, total);
          if (!token) break;
        }
        return seen === total;
      }),
    );
  });

  it("rejects tokens it did not issue", () => {
    expect(() => pageWindow({ pageToken: "garbage" })).toThrow(/page_token/);
  });
});
