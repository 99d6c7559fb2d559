import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "./errors.js";
import { MAX_JSON_DEPTH, nestsDeeperThan, parseJsonObject } from "./json.js";

const nested = (levels: number, leaf = "1") => '{"a":'.repeat(levels) + leaf + "}".repeat(levels);

describe("JSON in rpc fields", () => {
  it("measures nesting of objects and arrays alike, without recursion", () => {
    expect(nestsDeeperThan(1, 0)).toBe(false);
    expect(nestsDeeperThan({}, 0)).toBe(true);
    expect(nestsDeeperThan({}, 1)).toBe(false);
    expect(nestsDeeperThan({ a: [1, { b: null }] }, 2)).toBe(true);
    expect(nestsDeeperThan({ a: [1, { b: null }] }, 3)).toBe(false);
    expect(nestsDeeperThan(JSON.parse("[".repeat(200_000) + "]".repeat(200_000)), MAX_JSON_DEPTH)).toBe(true);
  });

  it("takes objects nested up to the limit and refuses deeper ones with InvalidArgument naming the field and the limit", () => {
    expect(parseJsonObject("config_json", nested(MAX_JSON_DEPTH))).toBeTypeOf("object");
    for (const text of [
      nested(MAX_JSON_DEPTH + 1),
      nested(200_000),
      `{"zot_config":${"[".repeat(200_000)}${"]".repeat(200_000)}}`,
    ]) {
      const error = (() => {
        try {
          parseJsonObject("config_json", text);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toBe(
        `config_json nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels, the most accepted`,
      );
    }
  });
});
