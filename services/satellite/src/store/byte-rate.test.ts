import { describe, expect, it } from "vitest";
import { byteRateLimiter } from "./byte-rate.js";

/** A limiter on a fake clock whose sleeps advance time and are recorded. */
function fakeTime() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    pass: (ms: number) => (t += ms),
    sleeps,
    get t() {
      return t;
    },
  };
}

describe("byteRateLimiter", () => {
  it("keeps the average at the rate: 10 MB at 1 MB/s takes 10 s", async () => {
    const time = fakeTime();
    const limit = byteRateLimiter({ bytesPerSecond: 1e6, now: time.now, sleep: time.sleep });
    for (let i = 0; i < 10; i++) await limit(1e6);
    expect(time.t).toBe(10_000);
    expect(time.sleeps).toEqual(Array(10).fill(1000));
  });

  it("counts time spent reading: a slow reader is not slowed further", async () => {
    const time = fakeTime();
    const limit = byteRateLimiter({ bytesPerSecond: 1e6, now: time.now, sleep: time.sleep });
    time.pass(1500);
    await limit(1e6);
    expect(time.sleeps).toEqual([]);
    await limit(1e6); // 2 MB due at 2 s, 1.5 s gone
    expect(time.sleeps).toEqual([500]);
  });

  it("never sleeps for waits under a millisecond, but yields to the event loop", async () => {
    const time = fakeTime();
    const limit = byteRateLimiter({ bytesPerSecond: 1e9, now: time.now, sleep: time.sleep });
    let other = false;
    setImmediate(() => (other = true));
    await limit(500_000); // 0.5 ms
    expect(time.sleeps).toEqual([]);
    expect(other).toBe(true);
  });

  it("passes the abort signal to its sleep, and refuses a rate that is not positive", async () => {
    const controller = new AbortController();
    controller.abort();
    const limit = byteRateLimiter({ bytesPerSecond: 1, signal: controller.signal });
    await expect(limit(10)).rejects.toThrow(/abort/i);
    expect(() => byteRateLimiter({ bytesPerSecond: 0 })).toThrow(RangeError);
  });
});
