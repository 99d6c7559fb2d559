// The upstream registry stops in the middle of a pass: the images whose copies it cut fail one by
// one (named, exit 1) after their retries, nothing half-written becomes visible, and the next pass
// against the restarted registry completes.
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
import { committedBlobs, ingestBytes, waitFor } from "./fault-helpers.js";

let storage: string;
let upstream: DockerRegistry | undefined;
let blobs: string;
let dataDir: string;
const images: SyntheticImage[] = [];

beforeAll(async () => {
  expect(dockerRegistryAvailable(), "install Debian's docker-registry package").toBe(true);
  storage = await mkdtemp(join(tmpdir(), "stopped-upstream-"));
  dataDir = await mkdtemp(join(tmpdir(), "stopped-data-"));
  upstream = await startDockerRegistry({ dir: storage });
  blobs = await makeBlobDir();
  for (let i = 0; i < 3; i++) {
    images.push(await buildImage({ layerSizes: [48 << 20, 48 << 20], dir: blobs, labels: { i: String(i) } }));
    await pushImage(upstream.url, `faults/big-${i}`, "v1", images[i]);
  }
});
afterAll(async () => {
  await upstream?.stop();
  if (blobs) await removeBlobDir(blobs);
  await rm(storage, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
});

describe("upstream stopped mid-pass", () => {
  it("fails the cut images alone, shows no partial blob, and the next pass completes", async () => {
    const names = images.map((_, i) => `faults/big-${i}:v1`);
    const run = startSatellite(syncOnceArgs(upstream!.url, names, dataDir, ["--log-level", "error"]));
    await waitFor(async () => (await ingestBytes(dataDir)) > 4 << 20, 60_000, "a layer copy in progress");
    await upstream!.stop();
    upstream = undefined;
    const cut = await run.done;

    expect(cut.code).toBe(1);
    const failed = names.filter((n) => cut.stderr.includes(`satellite: image ${n} failed:`));
    expect(failed.length, cut.stderr).toBeGreaterThan(0);
    for (const name of failed) expect(cut.stdout).toContain(`failed    ${name}`);
    expect(await ingestBytes(dataDir)).toBe(0);
    const afterCut = await verifyStore(dataDir);
    expect(afterCut.ok, JSON.stringify(afterCut)).toBe(true);
    const committedAfterCut = (await committedBlobs(dataDir)).length;

    upstream = await startDockerRegistry({ dir: storage });
    const next = await runSatellite(syncOnceArgs(upstream.url, names, dataDir));
    expect(next.code, next.stderr).toBe(0);
    for (const [i, image] of images.entries())
      expect(next.stdout).toContain(`faults/big-${i}:v1 ${image.manifestDigest}`);
    const final = await verifyStore(dataDir);
    expect(final).toMatchObject({ ok: true, manifests: 3, blobs: images.length * 4 });
    expect(committedAfterCut).toBeLessThan(final.blobs);
  });
});
