// The store quota before a pass fetches (retention.makeRoom through the engine's fetch plan): a
// pass that would take the store over its quota evicts images no group wants, and collects them,
// before its first blob is written; a quota the wanted images and the fetch cannot fit fetches
// nothing and says so. A real content store on disk, the real engine, a fake upstream.
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { startFakeRegistry, type FakeRegistry } from "@harbor-satellite/oci/testing";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createReplicationEngine, type ReplicationEngine } from "../replication/replication-engine.js";
import { seedImage, type SeededImage } from "../replication/testing/seed-upstream.js";
import type { FsContentStore } from "../store/fs-content-store.js";
import { openContentStore } from "../store/open-store.js";
import { createRetention } from "./retention.js";
import { createStateFetcher, type StateFetcher } from "./state-fetcher.js";
import { createStatePass, type StatePass } from "./state-pass.js";
import { createStateReader } from "./state-reader.js";
import { edgeState } from "./testing/edge-state.js";

const silent = pino({ level: "silent" });
const LAYER = 100_000;
let registry: FakeRegistry;
let fetcher: StateFetcher;
let dir: string;
let store: FsContentStore;
let engine: ReplicationEngine;
let quota: number | undefined;
/** Bytes of blob files on disk each time the pass opened a blob writer or temp file. */
let atWrites: number[];

beforeEach(async () => {
  registry = await startFakeRegistry();
  dir = await mkdtemp(join(tmpdir(), "hs-quota-plan-"));
  store = await openContentStore({ root: join(dir, "store") });
  engine = createReplicationEngine({ store: watched(store), logger: silent, workerThreads: 1 });
  fetcher = createStateFetcher({
    auth: { url: registry.url, username: "robot$satellite+edge", password: "robot-secret" },
    retry: { attempts: 1 },
  });
  quota = undefined;
  atWrites = [];
});
afterEach(async () => {
  fetcher.close();
  await engine.close();
  await store.close();
  await registry.close();
  await rm(dir, { recursive: true, force: true });
});

const blobDir = () => join(dir, "store", "blobs", "sha256");
async function diskBytes(): Promise<number> {
  let total = 0;
  for (const name of await readdir(blobDir())) total += (await stat(join(blobDir(), name))).size;
  return total;
}
/** The store, with the bytes on disk sampled whenever a blob write begins. */
function watched(real: FsContentStore): FsContentStore {
  return new Proxy(real, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== "function") return value;
      if (key !== "createBlobWriter" && key !== "createTempFile") return value.bind(target);
      return async (...args: unknown[]) => {
        atWrites.push(await diskBytes());
        return value.apply(target, args);
      };
    },
  });
}

const { want, satelliteUrl } = edgeState(() => registry);
const tagged = async (image: string) => (await store.getManifest(image.split(":")[0], image.split(":")[1]))?.digest;
const onDisk = async (digest: string) => (await readdir(blobDir())).includes(digest.slice("sha256:".length));
const blobGets = (image: SeededImage) =>
  registry.requests.filter(
    (r) => r.method === "GET" && [image.config, ...image.layers].some((d) => r.path.endsWith(d)),
  );

function makePass(): StatePass {
  return createStatePass({
    reader: createStateReader({ fetcher }),
    engine,
    appliedStatePath: join(dir, "state.json"),
    upstream: (url) => ({ url, retry: { attempts: 1 } }),
    retention: createRetention({
      store,
      quotaBytes: () => quota,
      logger: silent,
      collect: () => store.collectGarbage({ graceMs: 0 }),
    }),
  });
}

describe("store quota before a pass fetches", () => {
  it("evicts and collects images no group wants before the first blob is written: the store never exceeds the quota", async () => {
    const [alpha, beta, gamma] = ["alpha", "beta", "gamma"].map((name) =>
      seedImage(registry, `library/${name}`, "1", [randomBytes(LAYER)]),
    );
    quota = 250_000; // two images fit, not three
    const pass = makePass();
    want("library/alpha:1", "library/beta:1");
    expect((await pass.run(satelliteUrl())).status).toBe("applied");
    const two = await diskBytes();
    expect(two).toBeGreaterThan(2 * LAYER);

    atWrites = [];
    want("library/gamma:1");
    const result = await pass.run(satelliteUrl());
    expect(result.status).toBe("applied");
    // Both retained images were never pulled: alpha goes by name, beta fits beside gamma.
    expect(result.quota?.evicted).toEqual(["library/alpha:1"]);
    expect(result.quota?.tooSmall).toBeUndefined();
    expect(await tagged("library/alpha:1")).toBeUndefined();
    expect(await tagged("library/beta:1")).toBe(beta.digest);
    expect(await tagged("library/gamma:1")).toBe(gamma.digest);
    // Alpha's blobs were gone before gamma's first blob was written, and every write began with
    // room for gamma's layer: the store stayed under the quota the whole pass.
    expect(atWrites.length).toBeGreaterThanOrEqual(2);
    expect(atWrites[0]).toBeLessThan(two - LAYER);
    for (const bytes of atWrites) expect(bytes + LAYER).toBeLessThanOrEqual(quota);
    expect(await diskBytes()).toBeLessThanOrEqual(quota);
    for (const digest of alpha.layers) expect(await onDisk(digest)).toBe(false);
  });

  it("a quota the wanted images and the fetch cannot fit: no blob fetched, the pass says the quota is too small", async () => {
    const alpha = seedImage(registry, "library/alpha", "1", [randomBytes(LAYER)]);
    const delta = seedImage(registry, "library/delta", "1", [randomBytes(LAYER)]);
    quota = 1_000_000;
    const pass = makePass();
    want("library/alpha:1");
    expect((await pass.run(satelliteUrl())).status).toBe("applied");

    quota = 150_000;
    atWrites = [];
    want("library/alpha:1", "library/delta:1");
    const result = await pass.run(satelliteUrl());
    expect(result.status).toBe("partial");
    expect(result.quota?.tooSmall).toMatch(
      /^quota too small for the desired set \(needs 19\d(\.\d)? KiB, quota 146\.5 KiB; \d+ > 150000 bytes\)$/,
    );
    expect(result.imageErrors).toEqual([
      { reference: "library/delta:1", message: expect.stringMatching(/^quota too small for the desired set/) },
    ]);
    // Its manifest was read to plan the bytes; not one of its blobs was asked for or written.
    expect(blobGets(delta)).toEqual([]);
    expect(atWrites).toEqual([]);
    expect(await tagged("library/delta:1")).toBeUndefined();
    // The wanted image stays whole.
    expect(await tagged("library/alpha:1")).toBe(alpha.digest);
    for (const digest of alpha.layers) expect(await onDisk(digest)).toBe(true);
  });
});
