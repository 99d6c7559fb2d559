// The worker under the sync gate (bandwidth-gate.mjs), called in-process: the cap slows a copy
// (fetched as bounded Range requests sized from the cap), a closing window pauses it with the
// bytes kept, and a resumed copy asks only for the rest, with one Range request.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { digestOf } from "@harbor-satellite/oci";
import { startFakeRegistry, type FakeRegistry } from "@harbor-satellite/oci/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createGateBuffer, gateView } from "./bandwidth-gate.mjs";
import fetchBlob from "./blob-fetch-worker.mjs";
import { chunkBytes } from "./range-plan.mjs";
import type { FetchBlobOutcome, FetchBlobTask } from "./worker-protocol.js";

let registry: FakeRegistry;
let dir: string;
const data = randomBytes(3_000_000);
const digest = digestOf(data);

beforeEach(async () => {
  registry = await startFakeRegistry();
  registry.putBlob(data);
  dir = await mkdtemp(join(tmpdir(), "worker-gate-test-"));
});
afterEach(async () => {
  await registry.close();
  await rm(dir, { recursive: true, force: true });
});

const task = (gate: SharedArrayBuffer, overrides: Partial<FetchBlobTask> = {}): FetchBlobTask => ({
  url: `${registry.url}/v2/lib/app/blobs/${digest}`,
  digest,
  size: data.length,
  path: join(dir, "out"),
  counters: new SharedArrayBuffer(16),
  attempts: 3,
  baseDelayMs: 1,
  maxDelayMs: 5,
  gate,
  ...overrides,
});
const run = async (t: FetchBlobTask) => (await fetchBlob(t)) as FetchBlobOutcome;
const blobGets = () => registry.requests.filter((r) => r.method === "GET" && r.path.includes("/blobs/"));

/**
 * Asserts `ranges` are bounded Range requests of at most `chunk` bytes, back to back from byte 0,
 * the last one ending just before `end`: what a capped copy asked for until it paused at `end`.
 */
function expectChunksUpTo(ranges: (string | undefined)[], end: number, chunk: number) {
  let next = 0;
  for (const range of ranges) {
    const match = /^bytes=(\d+)-(\d+)$/.exec(range ?? "");
    expect(match, `bounded range, got ${range}`).not.toBeNull();
    const [from, to] = [Number(match![1]), Number(match![2])];
    expect(from).toBe(next);
    expect(to - from + 1).toBeLessThanOrEqual(chunk);
    next = to + 1;
  }
  expect(next).toBe(end);
}
describe("blob-fetch worker under the sync gate", () => {
  it("copies no faster than the cap", async () => {
    const gate = createGateBuffer();
    gateView(gate).setRate(2_000_000);
    const started = performance.now();
    expect(await run(task(gate))).toMatchObject({ ok: true, result: { size: data.length } });
    const seconds = (performance.now() - started) / 1000;
    // Faster than the rate: at most two bursts of 512 KiB (one banked, one ahead) and the last
    // read (up to 256 KiB), whose wait nobody sits out since the copy is done.
    expect(seconds).toBeGreaterThanOrEqual(((data.length - 2 * 512 * 1024 - 256 * 1024) / 2_000_000) * 0.95);
    expect((await readFile(join(dir, "out"))).equals(data)).toBe(true);
  });

  it("pauses when the window closes, after the bounded request in flight, and resumes with one Range request", async () => {
    const gate = createGateBuffer();
    const view = gateView(gate);
    view.setRate(1_000_000);
    const closing = setTimeout(() => view.setOpen(false), 700);
    const first = await run(task(gate));
    clearTimeout(closing);
    if (!first.ok) throw new Error(JSON.stringify(first.error));
    const kept = first.result.pausedAt!;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(data.length);
    expect((await stat(join(dir, "out"))).size).toBe(kept);
    expect((await readFile(join(dir, "out"))).equals(data.subarray(0, kept))).toBe(true);

    // The capped requests were bounded chunks; the pause came where the last one ended.
    const firstWindow = blobGets().map((r) => r.range);
    expectChunksUpTo(firstWindow, kept, chunkBytes(1_000_000));

    view.setOpen(true);
    view.setRate(0);
    const second = await run(task(gate, { resumeFrom: kept }));
    expect(second).toEqual({ ok: true, result: { digest, size: data.length, resumes: 0 } });
    expect(blobGets().map((r) => r.range)).toEqual([...firstWindow, `bytes=${kept}-`]);
    expect((await readFile(join(dir, "out"))).equals(data)).toBe(true);
  });

  it("with the close known, asks only for what the cap lets through before it: bounded requests, then the rest", async () => {
    const gate = createGateBuffer();
    const view = gateView(gate);
    view.setRate(1_000_000);
    const closesAt = Date.now() + 800;
    view.setClosesAt(closesAt);
    const closing = setTimeout(() => view.setOpen(false), closesAt - Date.now());
    const first = await run(task(gate));
    clearTimeout(closing);
    if (!first.ok) throw new Error(JSON.stringify(first.error));
    const kept = first.result.pausedAt!;
    // About 0.8 s at 1 MB/s plus the 512 KiB burst, never the whole blob.
    expect(kept).toBeGreaterThan(512 * 1024);
    expect(kept).toBeLessThan(data.length);
    const firstWindow = blobGets().map((r) => r.range);
    expectChunksUpTo(firstWindow, kept, chunkBytes(1_000_000));
    expect((await stat(join(dir, "out"))).size).toBe(kept);

    view.setOpen(true);
    view.setClosesAt(undefined);
    view.setRate(0);
    const second = await run(task(gate, { resumeFrom: kept }));
    expect(second).toEqual({ ok: true, result: { digest, size: data.length, resumes: 0 } });
    expect(blobGets().map((r) => r.range)).toEqual([...firstWindow, `bytes=${kept}-`]);
    expect((await readFile(join(dir, "out"))).equals(data)).toBe(true);
  });

  it("makes no request while the window is closed", async () => {
    const gate = createGateBuffer();
    gateView(gate).setOpen(false);
    const outcome = await run(task(gate));
    expect(outcome).toEqual({ ok: true, result: { digest, size: 0, resumes: 0, pausedAt: 0 } });
    expect(blobGets()).toEqual([]);
  });

  it("detects a kept file whose bytes were altered: the digest covers the whole file", async () => {
    const gate = createGateBuffer();
    const view = gateView(gate);
    view.setRate(1_000_000);
    const closing = setTimeout(() => view.setOpen(false), 500);
    const first = await run(task(gate));
    clearTimeout(closing);
    const kept = first.ok ? first.result.pausedAt! : 0;
    expect(kept).toBeGreaterThan(0);
    const { open } = await import("node:fs/promises");
    const file = await open(join(dir, "out"), "r+");
    await file.write(Buffer.from([data[0] ^ 0xff]), 0, 1, 0);
    await file.close();
    view.setOpen(true);
    view.setRate(0);
    const second = await run(task(gate, { resumeFrom: kept }));
    expect(second).toMatchObject({ ok: false, error: { kind: "digest", expected: digest } });
  });
});
