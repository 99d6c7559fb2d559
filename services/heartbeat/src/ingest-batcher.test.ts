import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IngestBatcher } from "./ingest-batcher.js";

interface Item {
  key: number;
  seq: number;
}

/** A writer that records batches and lets the test decide when each write finishes. */
function controlledWriter() {
  const batches: Item[][] = [];
  const finish: Array<(fail?: Error) => void> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const keysInFlight = new Set<number>();
  let overlap = false;
  const write = (items: readonly Item[]) =>
    new Promise<number[]>((resolve, reject) => {
      batches.push([...items]);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      for (const i of items) {
        if (keysInFlight.has(i.key)) overlap = true;
        keysInFlight.add(i.key);
      }
      finish.push((fail) => {
        inFlight--;
        for (const i of items) keysInFlight.delete(i.key);
        if (fail) reject(fail);
        else resolve(items.map((i) => i.seq * 10));
      });
    });
  return { write, batches, finish, stats: () => ({ maxInFlight, overlap }) };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("ingest batcher", () => {
  it("writes concurrent rows as one batch and settles each caller only after the write", async () => {
    const w = controlledWriter();
    const batcher = new IngestBatcher<Item, number>({
      write: w.write,
      keyOf: (i) => i.key,
      maxBatch: 100,
      lingerMs: 1,
      maxInFlight: 2,
      maxQueued: 1000,
    });
    let settled = 0;
    const calls = [1, 2, 3].map((k) => batcher.submit({ key: k, seq: k }).then((r) => (settled++, r)));
    await new Promise((r) => setTimeout(r, 10));
    expect(w.batches).toEqual([
      [
        { key: 1, seq: 1 },
        { key: 2, seq: 2 },
        { key: 3, seq: 3 },
      ],
    ]);
    expect(settled).toBe(0);
    w.finish[0]();
    expect(await Promise.all(calls)).toEqual([10, 20, 30]);
    expect(batcher.stats()).toMatchObject({ batches: 1, rows: 3, largestBatch: 3, failedBatches: 0 });
  });

  it("writes a full batch at once, and otherwise starts at most one batch per linger period", async () => {
    const w = controlledWriter();
    const batcher = new IngestBatcher<Item, number>({
      write: w.write,
      keyOf: (i) => i.key,
      maxBatch: 2,
      lingerMs: 30,
      maxInFlight: 1,
      maxQueued: 1000,
    });
    const calls = [1, 2, 3, 4, 5].map((k) => batcher.submit({ key: k, seq: k }));
    expect(w.batches.map((b) => b.map((i) => i.key))).toEqual([[1, 2]]);
    w.finish[0]();
    await tick();
    expect(w.batches.map((b) => b.map((i) => i.key))).toEqual([
      [1, 2],
      [3, 4],
    ]); // full: no waiting
    w.finish[1]();
    await tick();
    expect(w.batches).toHaveLength(2); // one row left: it waits out the linger since [3, 4] started
    await new Promise((r) => setTimeout(r, 40));
    expect(w.batches.map((b) => b.map((i) => i.key))).toEqual([[1, 2], [3, 4], [5]]);
    w.finish[2]();
    expect(await Promise.all(calls)).toEqual([10, 20, 30, 40, 50]);
  });

  it("lets rows wait for the running write instead of starting a small parallel one, so batches grow with load", async () => {
    const w = controlledWriter();
    const batcher = new IngestBatcher<Item, number>({
      write: w.write,
      keyOf: (i) => i.key,
      maxBatch: 3,
      lingerMs: 1,
      maxInFlight: 3,
      maxQueued: 1000,
    });
    const calls = [batcher.submit({ key: 1, seq: 1 })];
    await new Promise((r) => setTimeout(r, 5));
    calls.push(batcher.submit({ key: 2, seq: 2 }), batcher.submit({ key: 3, seq: 3 }));
    await new Promise((r) => setTimeout(r, 5));
    expect(w.batches.map((b) => b.map((i) => i.key))).toEqual([[1]]);
    // A full batch does not wait: it takes a free slot.
    calls.push(batcher.submit({ key: 4, seq: 4 }));
    expect(w.batches.map((b) => b.map((i) => i.key))).toEqual([[1], [2, 3, 4]]);
    calls.push(batcher.submit({ key: 5, seq: 5 }));
    w.finish[0]();
    await new Promise((r) => setTimeout(r, 5));
    expect(w.batches.map((b) => b.map((i) => i.key))).toEqual([[1], [2, 3, 4], [5]]);
    w.finish[1]();
    w.finish[2]();
    expect(await Promise.all(calls)).toEqual([10, 20, 30, 40, 50]);
    expect(w.stats().maxInFlight).toBe(2);
  });

  it("never has two rows of one key in flight and keeps each key's order", async () => {
    const w = controlledWriter();
    const batcher = new IngestBatcher<Item, number>({
      write: w.write,
      keyOf: (i) => i.key,
      maxBatch: 10,
      lingerMs: 0,
      maxInFlight: 3,
      maxQueued: 1000,
    });
    const calls = [
      { key: 7, seq: 1 },
      { key: 7, seq: 2 },
      { key: 8, seq: 3 },
      { key: 7, seq: 4 },
    ].map((i) => batcher.submit(i));
    await new Promise((r) => setTimeout(r, 5));
    expect(w.batches).toEqual([
      [
        { key: 7, seq: 1 },
        { key: 8, seq: 3 },
      ],
    ]);
    w.finish[0]();
    await new Promise((r) => setTimeout(r, 5));
    expect(w.batches[1]).toEqual([{ key: 7, seq: 2 }]);
    w.finish[1]();
    await new Promise((r) => setTimeout(r, 5));
    expect(w.batches[2]).toEqual([{ key: 7, seq: 4 }]);
    w.finish[2]();
    expect(await Promise.all(calls)).toEqual([10, 20, 30, 40]);
  });

  it("fails every caller of a failed batch, and only those", async () => {
    const w = controlledWriter();
    const batcher = new IngestBatcher<Item, number>({
      write: w.write,
      keyOf: (i) => i.key,
      maxBatch: 2,
      lingerMs: 0,
      maxInFlight: 2,
      maxQueued: 1000,
    });
    const settled = Promise.allSettled([1, 2, 3].map((k) => batcher.submit({ key: k, seq: k })));
    await tick();
    w.finish[0](new Error("database down"));
    await new Promise((r) => setTimeout(r, 5));
    w.finish[1]();
    const results = await settled;
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "fulfilled"]);
    expect(batcher.stats()).toMatchObject({ batches: 2, failedBatches: 1 });
  });

  it("refuses new rows when the queue is full and after close, and close writes what was queued", async () => {
    const w = controlledWriter();
    const batcher = new IngestBatcher<Item, number>({
      write: w.write,
      keyOf: (i) => i.key,
      maxBatch: 1,
      lingerMs: 0,
      maxInFlight: 1,
      maxQueued: 2,
    });
    const accepted = [1, 2, 3].map((k) => batcher.submit({ key: k, seq: k }));
    await expect(batcher.submit({ key: 4, seq: 4 })).rejects.toThrow(/overloaded/);
    const closing = batcher.close();
    await expect(batcher.submit({ key: 5, seq: 5 })).rejects.toThrow(/shutting down/);
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 2));
      w.finish[i]();
    }
    await closing;
    expect(await Promise.all(accepted)).toEqual([10, 20, 30]);
  });

  it("settles every row exactly once with its own result, for any arrival pattern", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ key: fc.integer({ min: 0, max: 5 }), delay: fc.integer({ min: 0, max: 3 }) }), {
          minLength: 1,
          maxLength: 60,
        }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 3 }),
        async (arrivals, maxBatch, maxInFlight) => {
          const order = new Map<number, number[]>();
          let overlap = false;
          const inFlight = new Set<number>();
          const batcher = new IngestBatcher<Item, number>({
            write: async (items) => {
              for (const i of items) {
                if (inFlight.has(i.key)) overlap = true;
                inFlight.add(i.key);
                order.set(i.key, [...(order.get(i.key) ?? []), i.seq]);
              }
              await new Promise((r) => setTimeout(r, items.length % 3));
              for (const i of items) inFlight.delete(i.key);
              return items.map((i) => i.seq);
            },
            keyOf: (i) => i.key,
            maxBatch,
            lingerMs: 1,
            maxInFlight,
            maxQueued: 1000,
          });
          const calls: Promise<number>[] = [];
          for (let seq = 0; seq < arrivals.length; seq++) {
            calls.push(batcher.submit({ key: arrivals[seq].key, seq }));
            if (arrivals[seq].delay) await new Promise((r) => setTimeout(r, arrivals[seq].delay));
          }
          const results = await Promise.all(calls);
          await batcher.close();
          const ordered = [...order.values()].every((seqs) => seqs.every((s, i) => i === 0 || seqs[i - 1] < s));
          return (
            !overlap &&
            ordered &&
            results.every((r, i) => r === i) &&
            batcher.stats().rows === arrivals.length &&
            batcher.stats().largestBatch <= maxBatch
          );
        },
      ),
      { numRuns: 40 },
    );
  });
});
