// The worker's copy function, called in-process (piscina is covered by the engine tests).
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { digestOf } from "@harbor-satellite/oci";
import { startFakeRegistry, type FakeRegistry } from "@harbor-satellite/oci/testing";
import { selfSignedLoopback } from "@harbor-satellite/oci/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import fetchBlob from "./blob-fetch-worker.mjs";
import type { FetchBlobOutcome, FetchBlobTask } from "./worker-protocol.js";

let registry: FakeRegistry;
let other: FakeRegistry | undefined;
let dir: string;
const data = randomBytes(400_000);
const digest = digestOf(data);

beforeEach(async () => {
  registry = await startFakeRegistry();
  registry.putBlob(data);
  dir = await mkdtemp(join(tmpdir(), "worker-test-"));
});
afterEach(async () => {
  await registry.close();
  await other?.close();
  other = undefined;
  await rm(dir, { recursive: true, force: true });
});

function task(overrides: Partial<FetchBlobTask> = {}): FetchBlobTask {
  return {
    url: `${registry.url}/v2/lib/app/blobs/${digest}`,
    digest,
    size: data.length,
    path: join(dir, "out"),
    counters: new SharedArrayBuffer(16),
    attempts: 3,
    baseDelayMs: 1,
    maxDelayMs: 5,
    syncEveryBytes: 64 * 1024,
    ...overrides,
  };
}

async function run(t: FetchBlobTask): Promise<FetchBlobOutcome> {
  return (await fetchBlob(t)) as FetchBlobOutcome;
}

describe("blob-fetch worker", () => {
  it("writes the verified bytes, counting bytes and requests in the shared counters", async () => {
    const t = task();
    expect(await run(t)).toEqual({ ok: true, result: { digest, size: data.length, resumes: 0 } });
    expect((await readFile(t.path)).equals(data)).toBe(true);
    expect([...new BigInt64Array(t.counters)]).toEqual([BigInt(data.length), 1n]);
  });

  it("resumes after cuts with Range, and copes with a server that ignores Range", async () => {
    registry.addFault({ method: "GET", path: /blobs/, cutAfterBytes: 100_000 });
    registry.addFault({ method: "GET", path: /blobs/, cutAfterBytes: 50_000, ignoreRange: true });
    const t = task();
    const outcome = await run(t);
    // The second cut came before any new byte (all of it was skipped), so it counts as a retry
    // of the same request, not as a resume.
    expect(outcome, JSON.stringify(outcome)).toMatchObject({ ok: true, result: { resumes: 1 } });
    expect((await readFile(t.path)).equals(data)).toBe(true);
    expect(registry.requests.map((r) => r.range)).toEqual([undefined, "bytes=100000-", "bytes=100000-"]);
  });

  it("retries 503 and 429 before giving up, and reports 404 with its code", async () => {
    registry.addFault({ method: "GET", path: /blobs/, status: 503 });
    registry.addFault({ method: "GET", path: /blobs/, status: 429, headers: { "retry-after": "0" } });
    expect(await run(task())).toMatchObject({ ok: true });
    const missing = digestOf("missing");
    expect(await run(task({ url: `${registry.url}/v2/lib/app/blobs/${missing}`, digest: missing }))).toEqual({
      ok: false,
      error: {
        kind: "registry",
        status: 404,
        code: "BLOB_UNKNOWN",
        detail: "blob unknown",
        url: `${registry.url}/v2/lib/app/blobs/${missing}`,
        method: "GET",
      },
    });
  });

  it("rejects corrupt and oversized content", async () => {
    registry.addFault({ method: "GET", path: /blobs/, corrupt: true });
    expect(await run(task())).toMatchObject({ ok: false, error: { kind: "digest", expected: digest } });
    expect(await run(task({ size: 1000 }))).toMatchObject({ ok: false, error: { kind: "size", expected: 1000 } });
  });

  it("reports a refused credential as unauthorized so the main thread can refresh it", async () => {
    registry.addFault({ method: "GET", path: /blobs/, status: 401 });
    expect(await run(task({ authorization: "Bearer stale" }))).toEqual({
      ok: false,
      error: { kind: "unauthorized", url: `${registry.url}/v2/lib/app/blobs/${digest}` },
    });
  });

  it("follows a redirect to storage elsewhere without the Authorization header, and hides its query", async () => {
    other = await startFakeRegistry();
    other.putBlob(data);
    registry.addFault({
      method: "GET",
      path: /blobs/,
      status: 307,
      headers: { location: `${other.url}/v2/lib/app/blobs/${digest}?X-Signature=secret` },
    });
    const t = task({ authorization: "Bearer token" });
    expect(await run(t)).toMatchObject({ ok: true });
    expect(registry.requests[0].authScheme).toBe("Bearer");
    expect(other.requests[0].authScheme).toBeUndefined();
    other.addFault({ method: "GET", path: /blobs/, status: 400 });
    registry.addFault({
      method: "GET",
      path: /blobs/,
      status: 307,
      headers: { location: `${other.url}/v2/lib/app/blobs/${digest}?X-Signature=secret` },
    });
    const failed = await run(task());
    expect(JSON.stringify(failed)).not.toContain("secret");
  });

  it("reports a registry that is gone as a network error after its attempts", async () => {
    const url = registry.url;
    await registry.close();
    const outcome = await run(task({ url: `${url}/v2/lib/app/blobs/${digest}` }));
    expect(outcome).toMatchObject({ ok: false, error: { kind: "network", code: "ECONNREFUSED" } });
    registry = await startFakeRegistry();
  });

  it("copies over HTTPS from a registry with a private CA it is given", async () => {
    const tls = await selfSignedLoopback();
    other = await startFakeRegistry({ mode: "none" }, tls);
    other.putBlob(data);
    const url = `${other.url}/v2/lib/app/blobs/${digest}`;
    expect(await run(task({ url, ca: tls.cert }))).toMatchObject({ ok: true });
    expect(await run(task({ url, path: join(dir, "untrusted") }))).toMatchObject({
      ok: false,
      error: { kind: "other" },
    });
  });

  it("truncates what a previous attempt left in the temp file", async () => {
    const t = task();
    await writeFile(t.path, randomBytes(600_000));
    expect(await run(t)).toMatchObject({ ok: true });
    expect((await readFile(t.path)).length).toBe(data.length);
  });
});
