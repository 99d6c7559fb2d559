// The two concurrency helpers of a pass: the limiter and in-flight deduplication.
import { describe, expect, it } from "vitest";
import { createInflight } from "./inflight.js";
import { createLimiter } from "./limiter.js";

const tick = () => new Promise((r) => setTimeout(r, 1));

describe("createLimiter", () => {
  it("never runs more than its limit at once and runs everything", async () => {
    const limiter = createLimiter(3);
    let running = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limiter.run(async () => {
          peak = Math.max(peak, ++running);
          await tick();
          running--;
          return i;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(limiter.active).toBe(0);
  });
  it("releases its slot when a task fails, and validates the limit", async () => {
    const limiter = createLimiter(1);
    await expect(limiter.run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await limiter.run(async () => "next")).toBe("next");
    expect(() => createLimiter(0)).toThrow(/integer >= 1/);
  });
});

describe("createInflight", () => {
  it("runs concurrent work on one key once and shares its result, then forgets the key", async () => {
    const inflight = createInflight<number>();
    let runs = 0;
    const work = async () => {
      runs++;
      await tick();
      return 42;
    };
    const a = inflight.run("sha256:x", work);
    const b = inflight.run("sha256:x", work);
    expect([a.joined, b.joined]).toEqual([false, true]);
    expect(await Promise.all([a.promise, b.promise])).toEqual([42, 42]);
    expect(runs).toBe(1);
    expect(inflight.size).toBe(0);
    await inflight.run("sha256:x", work).promise;
    expect(runs).toBe(2);
  });
  it("shares a failure too, and lets a later call retry", async () => {
    const inflight = createInflight<number>();
    const failing = inflight.run("k", () => Promise.reject(new Error("nope")));
    const joined = inflight.run("k", async () => 1);
    await expect(failing.promise).rejects.toThrow("nope");
    await expect(joined.promise).rejects.toThrow("nope");
    expect(await inflight.run("k", async () => 2).promise).toBe(2);
  });
});
