import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createDigester, digestOf, isDigest, parseDigest } from "./digest.js";

describe("digest", () => {
  it("digests known content", () => {
    expect(digestOf("{}")).toBe("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  });

  it("incremental digest equals one-shot digest for any split", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.nat(2048), (bytes, cut) => {
        const d = createDigester();
        d.update(bytes.subarray(0, cut));
        d.update(bytes.subarray(cut));
        return d.digest() === digestOf(bytes);
      }),
    );
  });

  it("accepts exactly lowercase hex of the algorithm's length", () => {
    fc.assert(fc.property(fc.stringMatching(/^[a-f0-9]{64}$/), (hex) => parseDigest(`sha256:${hex}`).hex === hex));
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        const valid = /^sha256:[a-f0-9]{64}$/.test(s) || /^sha512:[a-f0-9]{128}$/.test(s);
        return isDigest(s) === valid;
      }),
    );
  });

  it("rejects path tricks and unknown algorithms", () => {
    for (const bad of [
      "sha256:../../etc/passwd",
      "md5:" + "a".repeat(32),
      "sha256:" + "A".repeat(64),
      "sha256:" + "a".repeat(63),
    ]) {
      expect(() => parseDigest(bad)).toThrow(/invalid digest/);
    }
  });
});
