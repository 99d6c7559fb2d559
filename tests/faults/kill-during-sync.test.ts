// kill -9 of `satellite sync --once` at random instants (at least 20 trials): after each kill every
// blob in the store still hashes to its name and every reference resolves (no partial blob is
// ever visible), and the next pass completes with the upstream's digests.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildImage, makeBlobDir, pushImage, removeBlobDir, type SyntheticImage } from "@harbor-satellite/testkit";
import {
  dockerRegistryAvailable,
  startDockerRegistry,
  type DockerRegistry,
} from "@harbor-satellite/testkit/docker-registry";
import { verifyStore } from "@harbor-satellite/satellite/testing";
import { runSatellite, startSatellite, syncOnceArgs } from "@harbor-satellite/satellite/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesOnDisk, committedBlobs, ingestBytes } from "./fault-helpers.js";

const TRIALS = 24;
let upstream: DockerRegistry;
let blobs: string;
const images: Record<string, SyntheticImage> = {};

beforeAll(async () => {
  expect(dockerRegistryAvailable(), "install Debian's docker-registry package").toBe(true);
  upstream = await startDockerRegistry();
  blobs = await makeBlobDir();
  for (const [name, sizes] of [
    ["a", [24 << 20, 8 << 20]],
    ["b", [16 << 20, 16 << 20, 4096]],
    ["c", [30 << 20]],
  ] as const) {
    images[name] = await buildImage({ layerSizes: [...sizes], dir: blobs, labels: { name } });
    await pushImage(upstream.url, `faults/${name}`, "v1", images[name]);
  }
});
afterAll(async () => {
  await upstream?.stop();
  if (blobs) await removeBlobDir(blobs);
});

describe("kill -9 during sync --once", () => {
  it(`leaves a store that verifies, and the rerun completes (${TRIALS} trials)`, { timeout: 900_000 }, async () => {
    const names = Object.keys(images).map((n) => `faults/${n}:v1`);
    const calibrate = await mkdtemp(join(tmpdir(), "kill-cal-"));
    const started = performance.now();
    expect((await runSatellite(syncOnceArgs(upstream.url, names, calibrate))).code).toBe(0);
    const fullPassMs = performance.now() - started;
    await rm(calibrate, { recursive: true, force: true });

    // The store keeps manifests as blobs too.
    const expectedBlobs = Object.values(images).reduce((n, image) => n + image.layers.length + 2, 0);
    const totalBytes = Object.values(images).reduce(
      (n, image) => n + image.config.size + image.layers.reduce((m, l) => m + l.size, 0),
      0,
    );
    const phases = { beforeAnyBlob: 0, midCopy: 0, afterAllBlobs: 0 };
    let reusedDir: string | undefined;
    for (let trial = 0; trial < TRIALS; trial++) {
      // Every third trial kills a pass that resumes a previously killed store, the rest start fresh.
      const dataDir = trial % 3 === 2 && reusedDir ? reusedDir : await mkdtemp(join(tmpdir(), "kill-"));
      const run = startSatellite(syncOnceArgs(upstream.url, names, dataDir));
      // Most kills land at a random point of the copy (by bytes on disk, some past the end to hit
      // manifest writes); every sixth at a random instant of the whole pass, start-up included.
      let exited = false;
      void run.done.then(() => (exited = true));
      if (trial % 6 === 0) await new Promise((r) => setTimeout(r, Math.random() * fullPassMs));
      else {
        const target = Math.random() * 1.05 * totalBytes;
        while (!exited && (await bytesOnDisk(dataDir)) < target) await new Promise((r) => setTimeout(r, 2));
      }
      run.child.kill("SIGKILL");
      await run.done;

      const blobsAfterKill = (await committedBlobs(dataDir)).length;
      const halfWritten = await ingestBytes(dataDir);
      if (halfWritten > 0 || (blobsAfterKill > 0 && blobsAfterKill < expectedBlobs)) phases.midCopy++;
      else if (blobsAfterKill === 0) phases.beforeAnyBlob++;
      else phases.afterAllBlobs++;
      const afterKill = await verifyStore(dataDir);
      expect(afterKill.corrupt, `trial ${trial} (${blobsAfterKill} blobs, ${halfWritten} bytes half-written)`).toEqual(
        [],
      );
      expect(afterKill.ok, `trial ${trial}: ${JSON.stringify(afterKill)}`).toBe(true);

      const rerun = await runSatellite(syncOnceArgs(upstream.url, names, dataDir));
      expect(rerun.code, `trial ${trial}: ${rerun.stderr}`).toBe(0);
      for (const [name, image] of Object.entries(images))
        expect(rerun.stdout).toContain(`faults/${name}:v1 ${image.manifestDigest}`);
      const final = await verifyStore(dataDir);
      expect(final).toMatchObject({ ok: true, blobs: expectedBlobs, manifests: 3 });
      expect(await ingestBytes(dataDir)).toBe(0);

      if (reusedDir && reusedDir !== dataDir) await rm(reusedDir, { recursive: true, force: true });
      if (dataDir !== reusedDir) reusedDir = dataDir;
    }
    if (reusedDir) await rm(reusedDir, { recursive: true, force: true });
    console.log(`kill -9 trials: ${TRIALS} (${JSON.stringify(phases)}), full pass ${fullPassMs.toFixed(0)} ms`);
    expect(phases.midCopy, "kills that landed mid-copy").toBeGreaterThanOrEqual(TRIALS / 4);
    expect(phases.midCopy + phases.beforeAnyBlob + phases.afterAllBlobs).toBe(TRIALS);
  });
});
