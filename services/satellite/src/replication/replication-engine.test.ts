import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { DigestMismatchError, RegistryError, digestOf } from "@harbor-satellite/oci";
import { startFakeRegistry, type FakeAuth, type FakeRegistry } from "@harbor-satellite/oci/testing";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createReplicationEngine, type ReplicationEngine, type UpstreamOptions } from "./replication-engine.js";
import { createFakeContentStore, type FakeContentStore } from "./testing/fake-content-store.js";
import { seedImage, seedIndex } from "./testing/seed-upstream.js";

const INLINE_MAX = 4096;
let engine: ReplicationEngine;
let registry: FakeRegistry;
let store: FakeContentStore;
let upstream: UpstreamOptions;

beforeAll(() => {
  engine = createReplicationEngineForTest();
});
afterAll(async () => {
  await engine.close();
});
afterEach(async () => {
  await registry?.close();
  await store?.remove();
});

function createReplicationEngineForTest(): ReplicationEngine {
  // Layers above 4 KiB go through the worker pool, so these tests exercise the worker threads.
  return createReplicationEngine({
    store: lazyStore(),
    logger: pino({ level: "silent" }),
    workerThreads: 2,
    inlineMaxBytes: INLINE_MAX,
  });
}

/** The engine is shared across tests; each test gets a fresh store behind this forwarder. */
function lazyStore(): FakeContentStore {
  return new Proxy({} as FakeContentStore, {
    get: (_t, key) => (store as unknown as Record<string | symbol, unknown>)[key],
  });
}

async function setup(auth: FakeAuth = { mode: "none" }) {
  registry = await startFakeRegistry(auth);
  store = await createFakeContentStore();
  upstream = { url: registry.url, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 } };
  if (auth.mode !== "none" && "username" in auth && auth.username)
    upstream.credentials = { username: auth.username, password: auth.password! };
}

const blobGets = (digest: string) =>
  registry.requests.filter((r) => r.method === "GET" && r.path.endsWith(digest)).length;

async function expectStored(digest: string, bytes?: Buffer) {
  const info = await store.statBlob(digest);
  expect(info, digest).toBeDefined();
  const path = await store.blobPath(digest);
  expect(digestOf(await readFile(path!))).toBe(digest);
  if (bytes) expect(info!.size).toBe(bytes.length);
}

describe("replication engine", () => {
  it("copies an image through the worker pool and stores the manifest with its exact bytes", async () => {
    await setup();
    const layers = [randomBytes(200_000), randomBytes(10_000), randomBytes(100)];
    const img = seedImage(registry, "lib/app", "v1", layers);
    const summary = await engine.replicate({ upstream, images: [{ repository: "lib/app", tag: "v1" }] });
    expect(summary.failed).toEqual([]);
    expect(summary).toMatchObject({ blobsCopied: 4, blobsSkipped: 0 });
    for (const [i, d] of img.layers.entries()) await expectStored(d, layers[i]);
    const stored = await store.getManifest("lib/app", "v1");
    expect(stored?.bytes.equals(img.manifest)).toBe(true);
    expect(stored?.digest).toBe(img.digest);
    expect(summary.bytes).toBe(
      layers.reduce((n, l) => n + l.length, 0) +
        (await readFile((await store.blobPath(img.config))!)).length +
        img.manifest.length,
    );
    expect(summary.owned).toEqual([{ repository: "lib/app", tag: "v1", digest: img.digest, sourceDigest: img.digest }]);
    expect(await store.ingestFiles()).toEqual([]);
  });

  it("resyncs with one HEAD per tag, and with no request at all for a pinned digest it holds", async () => {
    await setup();
    const img = seedImage(registry, "lib/app", "v1", [randomBytes(50_000)]);
    const first = await engine.replicate({ upstream, images: [{ repository: "lib/app", tag: "v1" }] });
    const again = await engine.replicate({
      upstream,
      images: [{ repository: "lib/app", tag: "v1" }],
      owned: first.owned,
    });
    expect(again).toMatchObject({ requests: 1, bytes: 0, blobsCopied: 0 });
    expect(again.images[0].status).toBe("unchanged");
    const pinned = await engine.replicate({
      upstream,
      images: [{ repository: "lib/app", tag: "v1", digest: img.digest }],
      owned: again.owned,
    });
    expect(pinned).toMatchObject({ requests: 0, bytes: 0 });
  });

  it("keeps a multi-arch index whole: same digest, children stored before the index", async () => {
    await setup();
    const amd = seedImage(registry, "lib/multi", undefined, [randomBytes(30_000)]);
    const arm = seedImage(registry, "lib/multi", undefined, [randomBytes(30_000)], {
      os: "linux",
      architecture: "arm64",
    });
    const index = seedIndex(registry, "lib/multi", "1.0", [
      { image: amd, platform: { os: "linux", architecture: "amd64" } },
      { image: arm, platform: { os: "linux", architecture: "arm64" } },
    ]);
    const summary = await engine.replicate({ upstream, images: [{ repository: "lib/multi", tag: "1.0" }] });
    expect(summary.failed).toEqual([]);
    expect((await store.getManifest("lib/multi", "1.0"))?.digest).toBe(index.digest);
    expect(store.puts.map((p) => p.digest)).toEqual([expect.any(String), expect.any(String), index.digest]);
    expect(new Set(store.puts.slice(0, 2).map((p) => p.digest))).toEqual(new Set([amd.digest, arm.digest]));
    for (const d of [...amd.layers, ...arm.layers]) await expectStored(d);
  });

  it("with a platform filter copies one child and tags it, and a resync sees it unchanged", async () => {
    await setup();
    const amd = seedImage(registry, "lib/multi", undefined, [randomBytes(30_000)]);
    const arm = seedImage(registry, "lib/multi", undefined, [randomBytes(30_000)], {
      os: "linux",
      architecture: "arm64",
    });
    seedIndex(registry, "lib/multi", "1.0", [
      { image: amd, platform: { os: "linux", architecture: "amd64" } },
      { image: arm, platform: { os: "linux", architecture: "arm64" } },
    ]);
    const platform = { os: "linux", architecture: "arm64" };
    const first = await engine.replicate({ upstream, images: [{ repository: "lib/multi", tag: "1.0" }], platform });
    expect((await store.getManifest("lib/multi", "1.0"))?.digest).toBe(arm.digest);
    expect(await store.statBlob(amd.layers[0])).toBeUndefined();
    const again = await engine.replicate({
      upstream,
      images: [{ repository: "lib/multi", tag: "1.0" }],
      platform,
      owned: first.owned,
    });
    expect(again).toMatchObject({ requests: 1, bytes: 0 });
    const missing = await engine.replicate({
      upstream,
      images: [{ repository: "lib/multi", tag: "1.0" }],
      platform: { os: "windows", architecture: "amd64" },
    });
    expect(missing.failed[0].error?.message).toMatch(/no manifest for platform windows\/amd64/);
  });

  it("never fetches a blob the store has, and fetches a layer shared by two images once", async () => {
    await setup();
    const shared = randomBytes(40_000);
    const a = seedImage(registry, "lib/a", "1", [shared, randomBytes(9000)]);
    seedImage(registry, "lib/b", "1", [shared, randomBytes(9000)]);
    const present = seedImage(registry, "lib/c", "1", [randomBytes(20_000)]);
    const writer = await store.createBlobWriter();
    await writer.write(registry.blob(present.layers[0])!);
    await writer.commit({ digest: present.layers[0] });
    const summary = await engine.replicate({
      upstream,
      images: ["a", "b", "c"].map((r) => ({ repository: `lib/${r}`, tag: "1" })),
    });
    expect(summary.failed).toEqual([]);
    expect(blobGets(a.layers[0])).toBe(1);
    expect(blobGets(present.layers[0])).toBe(0);
    expect(summary.blobsSkipped).toBe(1);
  });

  it("fails one image alone, naming it with its cause", async () => {
    await setup();
    seedImage(registry, "lib/ok", "1", [randomBytes(20_000)]);
    const summary = await engine.replicate({
      upstream,
      images: [
        { repository: "lib/ok", tag: "1" },
        { repository: "lib/missing", tag: "1" },
      ],
    });
    expect(summary.images.find((r) => r.image === "lib/ok:1")?.status).toBe("copied");
    expect(summary.failed.map((f) => f.image)).toEqual(["lib/missing:1"]);
    expect(summary.failed[0].error?.cause).toBeInstanceOf(RegistryError);
    expect(summary.failed[0].error?.message).toMatch(/^lib\/missing:1: .*404 MANIFEST_UNKNOWN/);
  });

  it("rejects a layer whose bytes do not match its digest and stores nothing of it", async () => {
    await setup();
    const img = seedImage(registry, "lib/bad", "1", [randomBytes(100_000)]);
    registry.addFault({ method: "GET", path: new RegExp(img.layers[0]), corrupt: true, times: 5 });
    const summary = await engine.replicate({ upstream, images: [{ repository: "lib/bad", tag: "1" }] });
    expect(summary.failed[0].error?.cause).toBeInstanceOf(DigestMismatchError);
    expect(await store.statBlob(img.layers[0])).toBeUndefined();
    expect(await store.getManifest("lib/bad", "1")).toBeUndefined();
    expect(await store.ingestFiles()).toEqual([]);
  });

  it("resumes a layer cut mid-way with Range inside the worker", async () => {
    await setup();
    const layer = randomBytes(300_000);
    const img = seedImage(registry, "lib/cut", "1", [layer]);
    registry.addFault({ method: "GET", path: new RegExp(img.layers[0]), cutAfterBytes: 120_000 });
    const summary = await engine.replicate({ upstream, images: [{ repository: "lib/cut", tag: "1" }] });
    expect(summary.failed).toEqual([]);
    await expectStored(img.layers[0], layer);
    expect(registry.requests.some((r) => r.range === "bytes=120000-")).toBe(true);
  });

  it("untags images no longer desired, only where the tag is still the one it stored", async () => {
    await setup();
    seedImage(registry, "lib/a", "1", [randomBytes(100)]);
    seedImage(registry, "lib/b", "1", [randomBytes(100)]);
    const first = await engine.replicate({
      upstream,
      images: [
        { repository: "lib/a", tag: "1" },
        { repository: "lib/b", tag: "1" },
      ],
    });
    const second = await engine.replicate({
      upstream,
      images: [{ repository: "lib/a", tag: "1" }],
      owned: first.owned,
    });
    expect(second.images.map((r) => [r.image, r.status])).toEqual([
      ["lib/a:1", "unchanged"],
      ["lib/b:1", "untagged"],
    ]);
    expect(await store.listTags("lib/b")).toEqual([]);
    expect(second.owned.map((o) => o.repository)).toEqual(["lib/a"]);
    // Someone pushed over lib/a:1 locally: dropping it from the list leaves their tag alone.
    const manual = seedImage(registry, "lib/manual", "1", [randomBytes(100)]);
    await engine.replicate({ upstream, images: [{ repository: "lib/manual", tag: "1" }] });
    await store.putManifest("lib/a", manual.manifest, "application/vnd.oci.image.manifest.v1+json", "1");
    const third = await engine.replicate({
      upstream,
      images: [{ repository: "lib/b", tag: "1" }],
      owned: second.owned,
    });
    expect(third.images.map((r) => r.image)).toEqual(["lib/b:1"]);
    expect((await store.getManifest("lib/a", "1"))?.digest).toBe(manual.digest);
    expect(third.owned.map((o) => o.repository)).toEqual(["lib/b"]);
  });

  it("fetches only the changed layer, the manifest and the config when one layer changes", async () => {
    await setup();
    const layers = [randomBytes(60_000), randomBytes(60_000), randomBytes(60_000)];
    seedImage(registry, "lib/app", "v1", layers);
    const first = await engine.replicate({ upstream, images: [{ repository: "lib/app", tag: "v1" }] });
    const changed = [layers[0], randomBytes(60_000), layers[2]];
    const img = seedImage(registry, "lib/app", "v1", changed);
    const second = await engine.replicate({
      upstream,
      images: [{ repository: "lib/app", tag: "v1" }],
      owned: first.owned,
    });
    const config = (await readFile((await store.blobPath(img.config))!)).length;
    expect(second.bytes).toBe(60_000 + img.manifest.length + config);
    expect(second).toMatchObject({ blobsCopied: 2, blobsSkipped: 2 });
  });

  it("rolls a tag back to a manifest the store still holds with one HEAD and no download", async () => {
    await setup();
    const v1 = seedImage(registry, "lib/app", "live", [randomBytes(30_000)]);
    const first = await engine.replicate({ upstream, images: [{ repository: "lib/app", tag: "live" }] });
    seedImage(registry, "lib/app", "live", [randomBytes(30_000)]);
    const second = await engine.replicate({
      upstream,
      images: [{ repository: "lib/app", tag: "live" }],
      owned: first.owned,
    });
    expect(second.blobsCopied).toBe(2);
    registry.putManifest("lib/app", "live", v1.manifest, "application/vnd.oci.image.manifest.v1+json");
    const back = await engine.replicate({
      upstream,
      images: [{ repository: "lib/app", tag: "live" }],
      owned: second.owned,
    });
    expect(back).toMatchObject({ requests: 1, bytes: 0, blobsCopied: 0 });
    expect((await store.getManifest("lib/app", "live"))?.digest).toBe(v1.digest);
  });

  it("authenticates workers with the token the main thread got (no extra token requests)", async () => {
    await setup({ mode: "bearer", username: "robot", password: "pw" });
    seedImage(registry, "lib/app", "v1", [randomBytes(50_000), randomBytes(50_000)]);
    const summary = await engine.replicate({ upstream, images: [{ repository: "lib/app", tag: "v1" }] });
    expect(summary.failed).toEqual([]);
    expect(registry.tokenRequests).toHaveLength(1);
    expect(summary.requests).toBe(registry.requests.length);
  });

  it("runs more copies than Node's default of 10 listeners on one pass signal without a leak warning", async () => {
    await setup();
    const wide = createReplicationEngine({
      store: lazyStore(),
      logger: pino({ level: "silent" }),
      workerThreads: 3,
      copiesPerThread: 4,
      inlineMaxBytes: INLINE_MAX,
    });
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      seedImage(
        registry,
        "lib/wide",
        "v1",
        Array.from({ length: 16 }, () => randomBytes(20_000)),
      );
      const summary = await wide.replicate({
        upstream,
        images: [{ repository: "lib/wide", tag: "v1" }],
        signal: new AbortController().signal,
      });
      expect(summary.failed).toEqual([]);
      expect(summary.blobsCopied).toBe(17);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
    } finally {
      process.off("warning", onWarning);
      await wide.close();
    }
  });
});
