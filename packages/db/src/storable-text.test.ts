import { describe, expect, it } from "vitest";
import { isStorableText } from "./storable-text.js";

describe("isStorableText", () => {
  it("refuses NUL and unpaired surrogates, and takes any other text, paired surrogates included", () => {
    expect(isStorableText("")).toBe(true);
    expect(isStorableText("admin")).toBe(true);
    expect(isStorableText("emoji \ud83d\ude00 ok")).toBe(true);
    expect(isStorableText("\u0000")).toBe(false);
    expect(isStorableText("ad\u0000min")).toBe(false);
    expect(isStorableText("lone \ud83d high")).toBe(false);
    expect(isStorableText("\ude00 lone low")).toBe(false);
  });
});
