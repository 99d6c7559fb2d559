import { describe, expect, it } from "vitest";
import { InvalidArgumentError, MAX_JSON_DEPTH, nestsDeeperThan } from "@harbor-satellite/rpc";
import { mergePatch } from "./merge-patch.js";

describe("JSON merge patch (RFC 7386)", () => {
  // The test cases of RFC 7386 Appendix A.
  const cases: Array<[unknown, unknown, unknown]> = [
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [
      ["a", "b"],
      ["c", "d"],
      ["c", "d"],
    ],
    [{ a: "b" }, ["c"], ["c"]],
    [{ a: "foo" }, null, null],
    [{ a: "foo" }, "bar", "bar"],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: "b", c: null }, { a: "b" }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];

  it.each(cases)("merges %j with %j", (target, patch, expected) => {
    expect(mergePatch(target, patch)).toEqual(expected);
  });

  it("can switch a flag off, which the original could not", () => {
    expect(
      mergePatch({ app_config: { use_unsecure: true, log_level: "info" } }, { app_config: { use_unsecure: false } }),
    ).toEqual({
      app_config: { use_unsecure: false, log_level: "info" },
    });
  });

  it("leaves its arguments untouched", () => {
    const target = { a: { b: 1 } };
    mergePatch(target, { a: { b: null } });
    expect(target).toEqual({ a: { b: 1 } });
  });
});

describe("JSON merge patch: nesting", () => {
  const nested = (levels: number) => JSON.parse('{"a":'.repeat(levels) + "1" + "}".repeat(levels)) as unknown;
  const refusal = (patch: unknown) => {
    try {
      mergePatch({ app_config: {} }, patch);
    } catch (error) {
      return error;
    }
    return undefined;
  };

  it(`applies patches nested up to ${MAX_JSON_DEPTH} levels`, () => {
    expect(nestsDeeperThan(mergePatch({}, nested(MAX_JSON_DEPTH)), MAX_JSON_DEPTH)).toBe(false);
  });

  it("refuses a patch nested 200,000 levels deep with InvalidArgument naming the limit, instead of overflowing the stack", () => {
    for (const patch of [
      nested(200_000),
      nested(MAX_JSON_DEPTH + 1),
      { zot_config: JSON.parse("[".repeat(200_000) + "]".repeat(200_000)) },
    ]) {
      const error = refusal(patch);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toBe(
        `merge_patch_json nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels, the most accepted`,
      );
    }
  });
});
