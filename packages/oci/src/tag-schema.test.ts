import { describe, expect, it } from "vitest";
import { COSIGN_TAG_SUFFIXES, cosignTag, tagSchemaSubject, tagSchemaTag } from "./tag-schema.js";

const digest = `sha256:${"ab".repeat(32)}`;

describe("tag schema", () => {
  it("names a digest's tag-schema index and cosign tags", () => {
    expect(tagSchemaTag(digest)).toBe(`sha256-${"ab".repeat(32)}`);
    expect(cosignTag(digest)).toBe(`sha256-${"ab".repeat(32)}.sig`);
    expect(COSIGN_TAG_SUFFIXES.map((s) => cosignTag(digest, s).split(".").pop())).toEqual(["sig", "att", "sbom"]);
  });

  it("reads the subject back from either kind of tag, and nothing from other tags", () => {
    for (const tag of [tagSchemaTag(digest), ...COSIGN_TAG_SUFFIXES.map((s) => cosignTag(digest, s))])
      expect(tagSchemaSubject(tag)).toBe(digest);
    for (const tag of [
      "latest",
      "v1.sig",
      `sha256-${"ab".repeat(31)}.sig`,
      `sha256-${"AB".repeat(32)}`,
      `${tagSchemaTag(digest)}.txt`,
    ])
      expect(tagSchemaSubject(tag)).toBeUndefined();
  });
});
