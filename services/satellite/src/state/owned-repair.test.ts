// Every pass checks the images it owns against the real store and repairs what a client or the
// disk damaged, while an unchanged state costs no more upstream requests than before.
import { readFile, rm, truncate } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import { MediaType } from "@harbor-satellite/oci";
import { startFakeRegistry, type FakeRegistry } from "@harbor-satellite/oci/testing";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createReplicationEngine, type ReplicationEngine } from "../replication/replication-engine.js";
import { seedImage, seedIndex } from "../replication/testing/seed-upstream.js";
import type { FsContentStore } from "../store/fs-content-store.js";
import { storePaths } from "../store/paths.js";
import { imageManifest, openTempStore, writeBlob } from "../store/test-helpers.js";
import { verifyStore } from "../store/verify.js";
import { createStateFetcher, type StateFetcher } from "./state-fetcher.js";
import { createStatePass, type StatePass } from "./state-pass.js";
import { createStateReader } from "./state-reader.js";
import { stateDocuments, stateImage } from "@harbor-satellite/testkit";

let engine: ReplicationEngine;
let store: FsContentStore;
let dir: string;
let cleanup: () => Promise<void>;
let registry: FakeRegistry;
let fetcher: StateFetcher;
let logs: string[];

beforeAll(() => {
  const lazy = new Proxy({} as FsContentStore, {
    get: (_t, key) => (store as unknown as Record<string | symbol, unknown>)[key],
  });
  engine = createReplicationEngine({ store: lazy, logger: pino({ level: "silent" }), workerThreads: 1 });
});
afterAll(() => engine.close());
beforeEach(async () => {
  ({ store, dir, cleanup } = await openTempStore());
  registry = await startFakeRegistry();
  fetcher = createStateFetcher({ auth: { url: registry.url, username: "", password: "" }, retry: { attempts: 1 } });
  logs = [];
});
afterEach(async () => {
  fetcher.close();
  await registry.close();
  await cleanup();
});

function publish(repository: string, json: string): string {
  const img = stateImage(json);
  for (const blob of img.blobs) registry.putBlob(blob);
  return registry.putManifest(repository, "latest", img.manifest, img.mediaType);
}

/** Ground Control's pinned URLs: an unchanged satellite state costs one manifest request. */
function publishState(artifacts: { repository: string; tag: string[] }[]): void {
  const host = new URL(registry.url).host;
  const group = publish("satellite/group-state/g/state", stateDocuments.group("g", registry.url, artifacts));
  publish(
    "satellite/satellite-state/edge/state",
    stateDocuments.satellite([`${host}/satellite/group-state/g/state@${group}`]),
  );
}

function makePass(): StatePass {
  const logger = pino(
    { level: "info" },
    new Writable({ write: (chunk: Buffer, _e, done) => (logs.push(chunk.toString()), done()) }),
  );
  return createStatePass({
    reader: createStateReader({ fetcher }),
    engine,
    appliedStatePath: join(dir, "state.json"),
    upstream: (url) => ({ url, retry: { attempts: 1 } }),
    logger,
    store,
  });
}

const stateUrl = () => `${registry.url}/satellite/satellite-state/edge/state:latest`;
const tagged = async (repository: string, tag: string) => (await store.getManifest(repository, tag))?.digest;
const requestsSince = (n: number) => registry.requests.slice(n).map((r) => `${r.method} ${r.path}`);
/**
 * A repaired image's signatures are looked for again (referrers API, then the tag schema:
 * `sha256-<hex>`, `.sig`, `.att`, `.sbom`): the requests that are not that, and the digests asked about.
 */
const REFERRER_LOOKUP =
  /\/(?:referrers\/(sha256:[0-9a-f]{64})|manifests\/sha256-([0-9a-f]{64})(?:\.sig|\.att|\.sbom)?)$/;
const withoutReferrerLookups = (requests: string[]) => requests.filter((r) => !REFERRER_LOOKUP.test(r));
const referrerLookups = (requests: string[]) =>
  [
    ...new Set(
      requests.flatMap((r) => {
        const m = REFERRER_LOOKUP.exec(r);
        return m ? [m[1] ?? `sha256:${m[2]}`] : [];
      }),
    ),
  ].sort();
const repairLines = () =>
  logs.filter((l) => l.includes("repaired from upstream")).map((l) => JSON.parse(l) as Record<string, unknown>);

describe("owned images checked every pass", () => {
  it("costs no upstream request when nothing was damaged, Ground Control vouching or not", async () => {
    const hello = seedImage(registry, "library/hello", "1.0", [Buffer.from("hello layer")]);
    publishState([{ repository: "library/hello", tag: ["1.0"] }]);
    const pass = makePass();
    expect((await pass.run(stateUrl())).status).toBe("applied");
    expect(await tagged("library/hello", "1.0")).toBe(hello.digest);

    const before = registry.requests.length;
    const unchanged = await pass.run(stateUrl());
    expect([unchanged.status, unchanged.repaired]).toEqual(["unchanged", []]);
    expect(requestsSince(before)).toEqual(["GET /v2/satellite/satellite-state/edge/state/manifests/latest"]);
    const vouched = await pass.verify();
    expect(vouched).toEqual({ repaired: [], imageErrors: [], replication: [] });
    expect(registry.requests.length).toBe(before + 1);
  });

  it("puts back a tag a client moved or deleted, from the store when it still holds the manifest", async () => {
    const hello = seedImage(registry, "library/hello", "1.0", [Buffer.from("hello layer")]);
    const world = seedImage(registry, "library/world", "2", [Buffer.from("world layer")]);
    publishState([
      { repository: "library/hello", tag: ["1.0"] },
      { repository: "library/world", tag: ["2"] },
    ]);
    const pass = makePass();
    await pass.run(stateUrl());

    // An attacker with write access pushes another image over hello:1.0 and deletes world:2.
    const config = await writeBlob(store, JSON.stringify({ architecture: "amd64", os: "linux", evil: true }));
    const layer = await writeBlob(store, "evil layer");
    const evil = await store.putManifest("library/hello", imageManifest(config, [layer]), MediaType.OciManifest, "1.0");
    await store.deleteManifest("library/world", "2");

    const before = registry.requests.length;
    const result = await pass.run(stateUrl());
    expect(result.status).toBe("unchanged");
    expect(await tagged("library/hello", "1.0")).toBe(hello.digest);
    expect(await tagged("library/world", "2")).toBe(world.digest);
    // The manifests and blobs were still in the store: the only request is the state's own, besides
    // looking for the two repaired images' signatures again.
    expect(withoutReferrerLookups(requestsSince(before))).toEqual([
      "GET /v2/satellite/satellite-state/edge/state/manifests/latest",
    ]);
    expect(referrerLookups(requestsSince(before))).toEqual([hello.digest, world.digest].sort());
    expect(result.repaired?.map((r) => [r.image, r.problem, r.from, r.to, r.repaired])).toEqual([
      ["library/hello:1.0", "tag moved", evil, hello.digest, true],
      ["library/world:2", "tag missing", undefined, world.digest, true],
    ]);
    expect(repairLines().map((l) => [l.image, l.from, l.to])).toEqual([
      ["library/hello:1.0", evil, hello.digest],
      ["library/world:2", null, world.digest],
    ]);
    expect((await pass.run(stateUrl())).repaired).toEqual([]);
  });

  it("fetches again exactly the files lost or cut short on disk, a manifest deleted by digest included", async () => {
    const hello = seedImage(registry, "library/hello", "1.0", [
      Buffer.from("hello layer one"),
      Buffer.from("hello layer two"),
    ]);
    const amd = seedImage(registry, "library/multi", undefined, [Buffer.from("amd64 layer")]);
    const arm = seedImage(registry, "library/multi", undefined, [Buffer.from("arm64 layer")], {
      os: "linux",
      architecture: "arm64",
    });
    const multi = seedIndex(registry, "library/multi", "1", [
      { image: amd, platform: { os: "linux", architecture: "amd64" } },
      { image: arm, platform: { os: "linux", architecture: "arm64" } },
    ]);
    const world = seedImage(registry, "library/world", "2", [Buffer.from("world layer")]);
    publishState(
      ["library/hello:1.0", "library/multi:1", "library/world:2"].map((r) => ({
        repository: r.split(":")[0],
        tag: [r.split(":")[1]],
      })),
    );
    const pass = makePass();
    await pass.run(stateUrl());

    const paths = storePaths(dir);
    await rm(paths.blob(hello.layers[1]));
    await truncate(paths.blob(arm.layers[0]), 3);
    await store.deleteManifest("library/world", world.digest);

    const before = registry.requests.length;
    const result = await pass.verify();
    expect(result.imageErrors).toEqual([]);
    expect(result.repaired.map((r) => [r.image, r.problem])).toEqual([
      ["library/hello:1.0", `blob missing ${hello.layers[1]}`],
      ["library/multi:1", `blob corrupt ${arm.layers[0]}`],
      ["library/world:2", "tag missing"],
    ]);
    const fetched = withoutReferrerLookups(requestsSince(before)).filter((r) => r.startsWith("GET"));
    expect(referrerLookups(requestsSince(before))).toEqual([hello.digest, multi.digest, world.digest].sort());
    expect(fetched.sort()).toEqual(
      [
        `GET /v2/library/hello/blobs/${hello.layers[1]}`,
        `GET /v2/library/multi/blobs/${arm.layers[0]}`,
        `GET /v2/library/world/manifests/${world.digest}`,
      ].sort(),
    );
    expect([
      await tagged("library/hello", "1.0"),
      await tagged("library/multi", "1"),
      await tagged("library/world", "2"),
    ]).toEqual([hello.digest, multi.digest, world.digest]);
    expect(await readFile(paths.blob(arm.layers[0]), "utf8")).toBe("arm64 layer");
    expect((await verifyStore(dir)).missing).toEqual([]);
    expect((await pass.verify()).repaired).toEqual([]);
  });

  it("reports what it cannot repair yet (upstream down) as image errors, and repairs it on a later pass", async () => {
    const hello = seedImage(registry, "library/hello", "1.0", [Buffer.from("hello layer")]);
    publishState([{ repository: "library/hello", tag: ["1.0"] }]);
    const pass = makePass();
    await pass.run(stateUrl());
    await rm(storePaths(dir).blob(hello.layers[0]));
    registry.addFault({ path: /\/blobs\//, status: 503 });

    const failed = await pass.run(stateUrl());
    expect(failed.status).toBe("partial");
    expect(failed.imageErrors.map((e) => e.reference)).toEqual(["library/hello:1.0"]);
    expect(failed.imageErrors[0].message).toMatch(
      /^local copy damaged \(blob missing sha256:[0-9a-f]{64}\), not repaired: /,
    );

    const recovered = await pass.run(stateUrl());
    expect([recovered.status, recovered.repaired?.map((r) => r.repaired)]).toEqual(["unchanged", [true]]);
    expect((await verifyStore(dir)).ok).toBe(true);
  });
});
