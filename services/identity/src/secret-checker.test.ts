import { describe, expect, it } from "vitest";
import { hashSecret, verifySecret } from "@harbor-satellite/rpc";
import { createSecretChecker } from "./secret-checker.js";

const FAST = { ln: 10, r: 8, p: 1 };

/** A checker whose slow checks are the real scrypt, counted. */
function counting(options: { ttlMs?: number; maxEntries?: number; now?: () => number } = {}) {
  const calls = { n: 0 };
  const checker = createSecretChecker({
    ...options,
    verify: (secret, stored) => {
      calls.n += 1;
      return verifySecret(secret, stored);
    },
  });
  return { checker, calls };
}

describe("secret checker: negative cache of wrong secrets", () => {
  it("refuses a pair just proven wrong without hashing again, until it expires", async () => {
    let t = 0;
    const { checker, calls } = counting({ ttlMs: 60_000, now: () => t });
    const stored = await hashSecret("right-Secret1", FAST);
    expect(await checker.check("robot$a", "wrong-1", stored)).toBe("wrong");
    expect(calls.n).toBe(1);
    for (let i = 0; i < 20; i++) expect(await checker.check("robot$a", "wrong-1", stored)).toBe("known-wrong");
    expect(calls.n).toBe(1);
    expect(checker.stats()).toEqual({ slowChecks: 1, cachedRefusals: 20 });
    // Another wrong secret, or the same one for another account, is a new pair: hashed once.
    expect(await checker.check("robot$a", "wrong-2", stored)).toBe("wrong");
    expect(await checker.check("robot$b", "wrong-1", stored)).toBe("wrong");
    expect(calls.n).toBe(3);
    t += 60_001;
    expect(await checker.check("robot$a", "wrong-1", stored)).toBe("wrong");
    expect(calls.n).toBe(4);
  });

  it("never refuses the correct secret, however many wrong ones were tried", async () => {
    const { checker, calls } = counting();
    const stored = await hashSecret("right-Secret1", FAST);
    for (let i = 0; i < 5; i++) expect(await checker.check("admin", `wrong-${i}`, stored)).toBe("wrong");
    for (let i = 0; i < 3; i++) expect(await checker.check("admin", "right-Secret1", stored)).toBe("match");
    // A match is not cached here (the gateway remembers good credentials itself): hashed each time.
    expect(calls.n).toBe(8);
  });

  it("accepts a rotated secret at once, even one that was proven wrong before the rotation", async () => {
    const { checker } = counting();
    const before = await hashSecret("old-Secret1", FAST);
    expect(await checker.check("robot$a", "new-Secret2", before)).toBe("wrong");
    expect(await checker.check("robot$a", "new-Secret2", before)).toBe("known-wrong");
    const after = await hashSecret("new-Secret2", FAST);
    expect(await checker.check("robot$a", "new-Secret2", after)).toBe("match");
    // And the old secret, right before, is now wrong (proven against the new hash, not cached as right).
    expect(await checker.check("robot$a", "old-Secret1", after)).toBe("wrong");
  });

  it("shares one hash between concurrent checks of the same pair", async () => {
    const { checker, calls } = counting();
    const stored = await hashSecret("right-Secret1", FAST);
    const verdicts = await Promise.all(Array.from({ length: 10 }, () => checker.check("robot$a", "wrong-1", stored)));
    expect(verdicts).toEqual(Array(10).fill("wrong"));
    expect(calls.n).toBe(1);
  });

  it("stays bounded: the oldest wrong pairs are forgotten first", async () => {
    const { checker, calls } = counting({ maxEntries: 3 });
    const stored = await hashSecret("right-Secret1", FAST);
    for (const s of ["w1", "w2", "w3", "w4"]) await checker.check("robot$a", s, stored);
    expect(calls.n).toBe(4);
    expect(await checker.check("robot$a", "w4", stored)).toBe("known-wrong");
    expect(await checker.check("robot$a", "w2", stored)).toBe("known-wrong");
    expect(await checker.check("robot$a", "w1", stored)).toBe("wrong");
    expect(calls.n).toBe(5);
  });
});
