// The worker pool's thread choice (spreadingBalancer); with real threads, that copies carrying a
// pass's AbortSignal share a thread up to copiesPerThread; and that layers up to onThreadMaxBytes
// are copied on this thread, where the pass's abort stops them.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { digestOf } from "@harbor-satellite/oci";
import { afterEach, describe, expect, it } from "vitest";
import { createBlobWorkerPool, spreadingBalancer, type BalancedThread } from "./worker-pool.js";

const thread = (currentUsage: number, extra: Partial<BalancedThread> = {}): BalancedThread => ({
  currentUsage,
  isRunningAbortableTask: false,
  terminating: false,
  destroyed: false,
  ...extra,
});

describe("spreadingBalancer", () => {
  const pick = spreadingBalancer<BalancedThread>(2, 4);

  it("takes an idle thread first, then the least busy one under the limit", () => {
    const idle = thread(0);
    expect(pick(undefined, [thread(2), idle])).toBe(idle);
    const lighter = thread(1);
    expect(pick(undefined, [thread(3), lighter])).toBe(lighter);
    expect(pick(undefined, [thread(4), thread(4)])).toBeNull();
  });

  it("gives no second copy to a busy thread while the pool may start another", () => {
    expect(pick(undefined, [thread(1)])).toBeNull();
    expect(pick(undefined, [])).toBeNull();
  });

  it("counts a thread running one abortable copy as one copy, not as full", () => {
    const abortable = thread(Infinity, { isRunningAbortableTask: true });
    expect(pick(undefined, [abortable, thread(2)])).toBe(abortable);
  });

  it("never picks a thread that is going away", () => {
    const busy = thread(3);
    expect(pick(undefined, [thread(0, { terminating: true }), busy])).toBe(busy);
    const live = thread(1);
    expect(pick(undefined, [thread(0, { destroyed: true }), live])).toBe(live);
  });
});

describe("createBlobWorkerPool", () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it("runs copies that carry one AbortSignal side by side on one thread", async () => {
    const data = randomBytes(64 * 1024);
    const digest = digestOf(data);
    // Answers only once three requests are in flight at once (or after 5 s, too late for the test).
    let inFlight = 0;
    let peak = 0;
    const waiting: (() => void)[] = [];
    const server = http.createServer((req, res) => {
      peak = Math.max(peak, ++inFlight);
      const answer = () => {
        inFlight--;
        res.writeHead(200, { "content-length": data.length }).end(data);
      };
      waiting.push(answer);
      if (waiting.length >= 3) for (const go of waiting.splice(0)) go();
    });
    const timer = setInterval(() => waiting.splice(0).forEach((go) => go()), 5_000);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const dir = await mkdtemp(join(tmpdir(), "pool-test-"));
    const pool = createBlobWorkerPool({ threads: 1, copiesPerThread: 3, onThreadMaxBytes: 0 });
    close = async () => {
      clearInterval(timer);
      await pool.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    };
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/a/blobs/${digest}`;
    const pass = new AbortController();
    const started = performance.now();
    const results = await Promise.all(
      [0, 1, 2].map((n) =>
        pool.fetch(
          {
            url,
            digest,
            size: data.length,
            path: join(dir, `b${n}`),
            counters: new SharedArrayBuffer(16),
          },
          pass.signal,
        ),
      ),
    );
    expect(results.map((r) => r.size)).toEqual([data.length, data.length, data.length]);
    expect(peak).toBe(3);
    // Not released by the 5-s fallback: the three were in flight together.
    expect(performance.now() - started).toBeLessThan(5_000);
    for (const n of [0, 1, 2]) expect((await readFile(join(dir, `b${n}`))).equals(data)).toBe(true);
  });

  it("starts every thread on warm(), before any copy is asked for", async () => {
    const pool = createBlobWorkerPool({ threads: 2 });
    close = () => pool.close();
    expect(await pool.warm()).toBe(2);
    // Warmed once per pool: a second call (the next image's manifest) starts nothing more.
    expect(await pool.warm()).toBe(0);
  });

  it("copies a layer up to onThreadMaxBytes on this thread, stopped by the pass's abort with its reason", async () => {
    const data = randomBytes(64 * 1024);
    // Sends the head and half the body, then holds the connection until the copy gives up on it.
    const closed: Promise<void>[] = [];
    const server = http.createServer((_req, res) => {
      closed.push(new Promise((resolve) => res.on("close", () => resolve())));
      res.writeHead(200, { "content-length": data.length });
      res.write(data.subarray(0, data.length / 2));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const dir = await mkdtemp(join(tmpdir(), "pool-test-"));
    const pools = [
      createBlobWorkerPool({ threads: 1, onThreadMaxBytes: data.length }),
      createBlobWorkerPool({ threads: 1, onThreadMaxBytes: data.length - 1 }),
    ];
    close = async () => {
      for (const pool of pools) await pool.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    };
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/a/blobs/${digestOf(data)}`;
    const copy = (n: number, signal: AbortSignal) =>
      pools[n]!.fetch(
        {
          url,
          digest: digestOf(data),
          size: data.length,
          path: join(dir, `b${n}`),
          counters: new SharedArrayBuffer(16),
        },
        signal,
      );
    expect(pools.map((pool) => pool.onWorkerThread(data.length))).toEqual([false, true]);

    const here = new AbortController();
    const reason = new Error("pass cancelled");
    const copied = copy(0, here.signal);
    while (closed.length < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    here.abort(reason);
    // The copy ran here: it rejects with the pass's own reason and closes its connection.
    await expect(copied).rejects.toBe(reason);
    await closed[0];

    // One byte over the limit: a worker thread's copy, which piscina stops by ending the thread.
    const there = new AbortController();
    const threaded = copy(1, there.signal);
    while (closed.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    there.abort(reason);
    const error = await threaded.catch((e: unknown) => e);
    expect(error).not.toBe(reason);
    expect(error).toMatchObject({ name: "AbortError" });
    await closed[1];
  });
});
