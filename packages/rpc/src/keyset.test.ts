import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "./errors.js";
import { keysetToken, keysetWindow } from "./keyset.js";

const token = (text: string) => Buffer.from(text).toString("base64url");

describe("keyset page tokens", () => {
  it("starts a listing with no cursor and the default or asked size, capped", () => {
    expect(keysetWindow(undefined, "s")).toEqual({ limit: 100 });
    expect(keysetWindow({ pageSize: 5000 }, "s")).toEqual({ limit: 1000 });
  });

  it("round-trips the last name and the first page's total", () => {
    const next = keysetToken("s", "edge-0042", 12345, true);
    expect(keysetWindow({ pageSize: 10, pageToken: next }, "s")).toEqual({
      limit: 10,
      after: "edge-0042",
      total: 12345,
    });
  });

  it("issues no token on the last page", () => {
    expect(keysetToken("s", "edge-1", 2, false)).toBe("");
    expect(keysetToken("s", undefined, 0, true)).toBe("");
  });

  it("accepts the older tokens: an offset where the list allows it, a cursor without a total", () => {
    expect(keysetWindow({ pageToken: token("o300") }, "s", { legacyOffset: true })).toEqual({
      limit: 100,
      offset: 300,
    });
    expect(keysetWindow({ pageToken: token("d:edge-7") }, "d")).toEqual({ limit: 100, after: "edge-7" });
  });

  it("refuses a token of another list, an offset where none was issued, and names no satellite has", () => {
    for (const [pageToken, kind] of [
      [keysetToken("d", "edge-1", 1, true), "s"],
      [token("o300"), "d"],
      [token("s:1:Edge 1"), "s"],
      [token("s:1:" + "a".repeat(256)), "s"],
      ["%%%", "s"],
    ])
      expect(() => keysetWindow({ pageToken }, kind)).toThrow(InvalidArgumentError);
  });
});
