import { describe, expect, it, vi } from "vitest";
import { isRetryableStatus, isTransientNetworkError, retry, retryPolicy, sleep } from "./index.mjs";

const failing = (times: number, error: unknown = new Error("flaky")) => {
  let calls = 0;
  return vi.fn(async (attempt: number) => {
    calls++;
    if (calls <= times) throw error;
    return `ok after ${attempt}`;
  });
};

describe("retry", () => {
  it("retries until success, waiting the policy's delays", async () => {
    const fn = failing(2);
    const waits: number[] = [];
    const policy = retryPolicy({ baseMs: 4, capMs: 8 });
    expect(await retry(fn, policy, { random: () => 1, onRetry: (_e, { delayMs }) => waits.push(delayMs) })).toBe(
      "ok after 3",
    );
    expect(waits).toEqual([4, 8]);
  });

  it("stops after `attempts` and rethrows the last failure", async () => {
    const error = new Error("still down");
    const fn = failing(10, error);
    await expect(retry(fn, retryPolicy({ attempts: 3, baseMs: 0, capMs: 0 }))).rejects.toBe(error);
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it("does not retry what the predicate calls final", async () => {
    const fn = failing(1, new TypeError("bug"));
    await expect(
      retry(fn, retryPolicy({ baseMs: 0, capMs: 0, retryable: (e) => !(e instanceof TypeError) })),
    ).rejects.toThrow(TypeError);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("gives up when the next wait would end past the deadline", async () => {
    let clock = 0;
    const fn = vi.fn(async () => {
      clock += 10;
      throw new Error("not yet");
    });
    // Each attempt takes 10 and each wait 40 on this clock: attempt 1 ends at 10 (+40 = 50 ≤ 100),
    // attempt 2 at 60 (+40 = 100 ≤ 100), attempt 3 at 110 (past the deadline).
    const policy = retryPolicy({ baseMs: 40, capMs: 40, deadlineMs: 100 });
    await expect(
      retry(fn, policy, { random: () => 1, now: () => clock, onRetry: (_e, { delayMs }) => (clock += delayMs) }),
    ).rejects.toThrow("not yet");
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it("waits what Retry-After says, and gives up when it asks too long", async () => {
    const told = Object.assign(new Error("busy"), { retryAfter: "0" });
    const waits: number[] = [];
    expect(
      await retry(failing(1, told), retryPolicy({ baseMs: 60_000, capMs: 60_000 }), {
        retryAfter: (e) => (e as typeof told).retryAfter,
        onRetry: (_e, { delayMs }) => waits.push(delayMs),
      }),
    ).toBe("ok after 2");
    expect(waits).toEqual([0]);
    const tooLong = Object.assign(new Error("busy"), { retryAfter: "3600" });
    const fn = failing(1, tooLong);
    await expect(
      retry(fn, retryPolicy({ baseMs: 0, capMs: 0 }), { retryAfter: (e) => (e as typeof tooLong).retryAfter }),
    ).rejects.toBe(tooLong);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("neither starts an attempt nor waits after an abort, and cuts a wait short", async () => {
    const before = new AbortController();
    before.abort(new Error("stopped"));
    const fn = failing(0);
    await expect(retry(fn, retryPolicy(), { signal: before.signal })).rejects.toThrow("stopped");
    expect(fn).not.toHaveBeenCalled();

    const during = new AbortController();
    const failure = new Error("failed while stopping");
    const aborting = vi.fn(async () => {
      during.abort(new Error("stopped"));
      throw failure;
    });
    const onRetry = vi.fn();
    await expect(
      retry(aborting, retryPolicy({ baseMs: 60_000, capMs: 60_000 }), { signal: during.signal, onRetry }),
    ).rejects.toBe(failure);
    expect(onRetry).not.toHaveBeenCalled();

    const waiting = new AbortController();
    const slow = failing(5);
    const run = retry(slow, retryPolicy({ baseMs: 60_000, capMs: 60_000 }), {
      signal: waiting.signal,
      random: () => 1,
      onRetry: () => queueMicrotask(() => waiting.abort(new Error("stopped"))),
    });
    await expect(run).rejects.toThrow("stopped");
    expect(slow).toHaveBeenCalledTimes(1);
  });
});

describe("sleep", () => {
  it("resolves after the wait, rejects with the reason on abort", async () => {
    await expect(sleep(1)).resolves.toBeUndefined();
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    controller.abort(new Error("bye"));
    await expect(pending).rejects.toThrow("bye");
    await expect(sleep(1, controller.signal)).rejects.toThrow("bye");
  });
});

describe("transient failures", () => {
  it("retries 5xx, 429 and transport failures, never other 4xx", () => {
    for (const status of [500, 502, 503, 504, 429]) expect(isRetryableStatus(status), String(status)).toBe(true);
    for (const status of [400, 401, 403, 404, 405, 408, 416])
      expect(isRetryableStatus(status), String(status)).toBe(false);
    expect(isTransientNetworkError(Object.assign(new Error("x"), { code: "ECONNRESET" }))).toBe(true);
    expect(isTransientNetworkError(new Error("socket hang up"))).toBe(true);
    expect(isTransientNetworkError(new TypeError("bad"))).toBe(false);
    expect(isTransientNetworkError("ECONNRESET")).toBe(false);
  });
});
