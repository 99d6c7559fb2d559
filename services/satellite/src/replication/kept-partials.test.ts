// Paused layer copies kept on disk (ingest/partial-<alg>-<hex>) across a restart: the engine of the
// next process reads them back and continues each with one Range request from the kept offset,
// re-hashing the kept prefix; a prefix that is not the blob's ends in a digest mismatch and the
// blob is fetched again from byte 0; a kept file no desired image needs is pruned after a clean pass.
import { randomBytes } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { digestOf } from "@harbor-satellite/oci";
import { startFakeRegistry, type FakeRegistry } from "@harbor-satellite/oci/testing";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openContentStore } from "../store/open-store.js";
import type { FsContentStore } from "../store/fs-content-store.js";
import { partialFileName } from "../store/partial-blobs.js";
import { tempDir } from "../store/test-helpers.js";
import { createReplicationEngine, type ReplicationEngine } from "./replication-engine.js";
import { seedImage } from "./testing/seed-upstream.js";

const KEPT = 100_000;

describe("paused copies kept across a restart", () => {
  let dir: string;
  let remove: () => Promise<void>;
  let registry: FakeRegistry;
  let store: FsContentStore;
  let engine: ReplicationEngine;
  const layer = randomBytes(300_000);
  const layerDigest = digestOf(layer);

  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
    registry = await startFakeRegistry();
  });
  afterEach(async () => {
    await engine?.close();
    await store?.close();
    await registry.close();
    await remove();
  });

  /** A data dir as a paused copy leaves it, then a new process: store opened, engine created. */
  const restartWithPartial = async (bytes: Buffer) => {
    const first = await openContentStore({ root: dir });
    await first.close();
    await writeFile(join(dir, "ingest", partialFileName(layerDigest)), bytes);
    store = await openContentStore({ root: dir });
    engine = createReplicationEngine({
      store,
      logger: pino({ level: "silent" }),
      workerThreads: 1,
      inlineMaxBytes: 4096,
    });
  };
  const layerGets = () => registry.requests.filter((r) => r.method === "GET" && r.path.endsWith(layerDigest));
  const replicate = (repository = "edge/big") =>
    engine.replicate({
      upstream: { url: registry.url, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 } },
      images: [{ repository, tag: "1" }],
    });

  it("continues the kept file with one Range request from its length, and verifies the whole blob", async () => {
    seedImage(registry, "edge/big", "1", [layer]);
    await restartWithPartial(layer.subarray(0, KEPT));
    const summary = await replicate();
    expect(summary.failed).toEqual([]);
    expect(layerGets().map((r) => r.range)).toEqual([`bytes=${KEPT}-`]);
    expect(digestOf(await readFile(join(dir, "blobs", "sha256", layerDigest.slice(7))))).toBe(layerDigest);
    expect(await readdir(join(dir, "ingest"))).toEqual([]);
  });

  it("fetches the blob again from byte 0 when the kept prefix is not the blob's", async () => {
    seedImage(registry, "edge/big", "1", [layer]);
    await restartWithPartial(randomBytes(KEPT));
    const summary = await replicate();
    expect(summary.failed).toEqual([]);
    expect(layerGets().map((r) => r.range)).toEqual([`bytes=${KEPT}-`, undefined]);
    expect(digestOf(await readFile(join(dir, "blobs", "sha256", layerDigest.slice(7))))).toBe(layerDigest);
    expect(await readdir(join(dir, "ingest"))).toEqual([]);
  });

  it("drops a kept file no desired image needs after a clean pass, not after a failed one", async () => {
    seedImage(registry, "edge/other", "1", [randomBytes(50_000)]);
    await restartWithPartial(layer.subarray(0, KEPT));
    // A failed image may hide the layers it needs: nothing is pruned.
    expect((await replicate("edge/missing")).failed).toHaveLength(1);
    await engine.prunePartials();
    expect(await readdir(join(dir, "ingest"))).toEqual([partialFileName(layerDigest)]);
    // Closing the engine (the agent stopping) keeps it for the next start.
    await engine.close();
    expect(await readdir(join(dir, "ingest"))).toEqual([partialFileName(layerDigest)]);
    expect((await replicate("edge/other")).failed).toEqual([]);
    await engine.prunePartials();
    expect(await readdir(join(dir, "ingest"))).toEqual([]);
    expect(layerGets()).toEqual([]);
  });
});
