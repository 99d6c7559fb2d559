// The state pass with retention (retention.ts): what a quota changes about images a group drops.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeRegistry, type FakeRegistry } from "@harbor-satellite/oci/testing";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createReplicationEngine, type ReplicationEngine } from "../replication/replication-engine.js";
import { createFakeContentStore, type FakeContentStore } from "../replication/testing/fake-content-store.js";
import { seedImage } from "../replication/testing/seed-upstream.js";
import { createRetention } from "./retention.js";
import { createStateFetcher, type StateFetcher } from "./state-fetcher.js";
import { createStatePass, type StatePass } from "./state-pass.js";
import { createStateReader } from "./state-reader.js";
import { edgeState } from "./testing/edge-state.js";

const ROBOT = { username: "robot$satellite+edge", password: "robot-secret" };
const silent = pino({ level: "silent" });
let engine: ReplicationEngine;
let store: FakeContentStore;
let registry: FakeRegistry;
let fetcher: StateFetcher;
let dir: string;
let quota: number | undefined;

beforeAll(() => {
  const lazy = new Proxy({} as FakeContentStore, {
    get: (_t, key) => (store as unknown as Record<string | symbol, unknown>)[key],
  });
  engine = createReplicationEngine({ store: lazy, logger: silent, workerThreads: 1 });
});
afterAll(() => engine.close());
beforeEach(async () => {
  registry = await startFakeRegistry({ mode: "bearer", ...ROBOT });
  store = await createFakeContentStore();
  dir = await mkdtemp(join(tmpdir(), "hs-retention-"));
  fetcher = createStateFetcher({ auth: { url: registry.url, ...ROBOT }, retry: { attempts: 1 } });
  quota = undefined;
});
afterEach(async () => {
  fetcher.close();
  await registry.close();
  await store.remove();
  await rm(dir, { recursive: true, force: true });
});

const { want, satelliteUrl } = edgeState(() => registry);
const tagged = async (image: string) => (await store.getManifest(image.split(":")[0], image.split(":")[1]))?.digest;
const names = (list: { repository: string; tag: string }[] | undefined) =>
  (list ?? []).map((o) => `${o.repository}:${o.tag}`).sort();

function makePass(): StatePass {
  return createStatePass({
    reader: createStateReader({ fetcher }),
    engine,
    appliedStatePath: join(dir, "state.json"),
    upstream: (url) => ({ url, credentials: ROBOT, retry: { attempts: 1 } }),
    retention: createRetention({ store, quotaBytes: () => quota, logger: silent }),
  });
}

describe("state pass with retention", () => {
  it("retains a dropped image under a quota, takes it back without a copy, evicts it when the quota shrinks", async () => {
    const layer = (name: string) => [Buffer.alloc(10_000, name)];
    const nginx = seedImage(registry, "library/nginx", "1", layer("nginx"));
    seedImage(registry, "library/redis", "7", layer("redis"));
    quota = 1_000_000;
    const pass = makePass();
    want("library/nginx:1", "library/redis:7");
    expect((await pass.run(satelliteUrl())).status).toBe("applied");

    // Dropped, but kept: still tagged, recorded as retained, not owned.
    want("library/redis:7");
    const dropped = await pass.run(satelliteUrl());
    expect(dropped.status).toBe("applied");
    expect(dropped.quota).toEqual({
      retained: [expect.objectContaining({ repository: "library/nginx" })],
      evicted: [],
    });
    expect(await tagged("library/nginx:1")).toBe(nginx.digest);
    expect(names((await pass.applied())?.owned)).toEqual(["library/redis:7"]);
    expect(names((await pass.applied())?.retained)).toEqual(["library/nginx:1"]);

    // Wanted again: the engine owns it again and copies nothing.
    const nginxBlobs = () => registry.requests.filter((r) => r.path.startsWith("/v2/library/nginx/blobs/")).length;
    const before = nginxBlobs();
    want("library/nginx:1", "library/redis:7");
    const back = await pass.run(satelliteUrl());
    const nginxResult = back.replication.flatMap((s) => s.images).find((i) => i.image === "library/nginx:1");
    expect(nginxResult?.status).toBe("unchanged");
    expect(nginxBlobs()).toBe(before);
    expect(names((await pass.applied())?.owned)).toEqual(["library/nginx:1", "library/redis:7"]);
    expect((await pass.applied())?.retained).toBeUndefined();

    // Dropped again, and the quota now takes only one image: it goes.
    want("library/redis:7");
    quota = 15_000;
    const evicted = await pass.run(satelliteUrl());
    expect(evicted.quota?.evicted).toEqual(["library/nginx:1"]);
    expect(evicted.quota?.tooSmall).toBeUndefined();
    expect(await tagged("library/nginx:1")).toBeUndefined();
    expect(await tagged("library/redis:7")).toBeDefined();
    expect((await pass.applied())?.retained).toBeUndefined();
  });

  it("without a quota, the pass untags a dropped image as before; removing the quota untags what was retained", async () => {
    seedImage(registry, "library/nginx", "1", [Buffer.from("nginx layer")]);
    seedImage(registry, "library/redis", "7", [Buffer.from("redis layer")]);
    const pass = makePass();
    want("library/nginx:1", "library/redis:7");
    await pass.run(satelliteUrl());
    want("library/redis:7");
    const untagged = await pass.run(satelliteUrl());
    expect(untagged.replication[0].images.find((i) => i.image === "library/nginx:1")?.status).toBe("untagged");
    expect(await tagged("library/nginx:1")).toBeUndefined();

    quota = 1_000_000;
    want("library/nginx:1", "library/redis:7");
    await pass.run(satelliteUrl());
    want("library/redis:7");
    await pass.run(satelliteUrl());
    expect(names((await pass.applied())?.retained)).toEqual(["library/nginx:1"]);
    quota = undefined;
    want("library/alpine:3"); // a changed state; alpine does not exist upstream (that image fails)
    // The pass starts without a quota, so the engine untags the retained image with the dropped one.
    const after = await pass.run(satelliteUrl());
    const untags = after.replication.flatMap((s) => s.images).filter((i) => i.status === "untagged");
    expect(untags.map((i) => i.image).sort()).toEqual(["library/nginx:1", "library/redis:7"]);
    expect(after.quota).toEqual({ retained: [], evicted: [] });
    expect(await tagged("library/nginx:1")).toBeUndefined();
    expect(await tagged("library/redis:7")).toBeUndefined();
  });

  it("says the quota is too small for the desired set, keeps every wanted image, and fetches no blob that cannot fit", async () => {
    seedImage(registry, "library/nginx", "1", [Buffer.alloc(20_000, "n")]);
    seedImage(registry, "library/redis", "7", [Buffer.alloc(20_000, "r")]);
    const pass = makePass();
    want("library/nginx:1");
    expect((await pass.run(satelliteUrl())).status).toBe("applied");

    // The quota shrinks below what is wanted: nothing wanted goes, and the new image is not
    // fetched (its bytes were planned before any blob moved).
    quota = 5_000;
    want("library/nginx:1", "library/redis:7");
    const result = await pass.run(satelliteUrl());
    expect(result.status).toBe("partial");
    expect(result.quota?.tooSmall).toMatch(
      /^quota too small for the desired set \(needs 39\.\d KiB, quota 4\.9 KiB; \d+ > 5000 bytes\)$/,
    );
    expect(result.imageErrors.map((e) => e.reference)).toEqual(["library/redis:7"]);
    expect(registry.requests.filter((r) => r.path.startsWith("/v2/library/redis/blobs/"))).toEqual([]);
    expect(await tagged("library/nginx:1")).toBeDefined();
    expect(await tagged("library/redis:7")).toBeUndefined();
  });
});
