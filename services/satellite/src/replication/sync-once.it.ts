// `satellite sync --once` as a user runs it: the real CLI and content store against a real
// docker-registry (and the Harbor emulator's token flow), then `satellite serve` serving what was
// replicated with the same digests.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHarborClient } from "@harbor-satellite/harbor";
import {
  buildImage,
  buildIndex,
  makeBlobDir,
  pushImage,
  pushIndex,
  removeBlobDir,
  type SyntheticImage,
  type SyntheticIndex,
} from "@harbor-satellite/testkit";
import {
  dockerRegistryAvailable,
  startDockerRegistry,
  type DockerRegistry,
} from "@harbor-satellite/testkit/docker-registry";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { verifyStore } from "../store/verify.js";
import { runSatellite, summaryOf, syncOnceArgs, withServe } from "./testing/run-satellite.js";

let upstream: DockerRegistry;
let blobs: string;
let image: SyntheticImage;
let index: SyntheticIndex;
let dataDir: string;

beforeAll(async () => {
  expect(dockerRegistryAvailable(), "install Debian's docker-registry package").toBe(true);
  upstream = await startDockerRegistry();
  blobs = await makeBlobDir();
  image = await buildImage({ layerSizes: [6 << 20, 3 << 20, 512], dir: blobs });
  index = await buildIndex(
    [
      { os: "linux", architecture: "amd64" },
      { os: "linux", architecture: "arm64" },
    ],
    { layerSizes: [2 << 20], dir: blobs, format: "docker" },
  );
  await pushImage(upstream.url, "lib/app", "v1", image);
  await pushIndex(upstream.url, "lib/multi", "1.0", index);
});
afterAll(async () => {
  await upstream?.stop();
  if (blobs) await removeBlobDir(blobs);
});
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "sync-it-"));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe("satellite sync --once", () => {
  it("replicates an image and a Docker multi-arch index with digests unchanged, into a store that verifies", async () => {
    const run = await runSatellite(syncOnceArgs(upstream.url, ["lib/app:v1", "lib/multi:1.0"], dataDir));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`copied    lib/app:v1 ${image.manifestDigest}`);
    expect(run.stdout).toContain(`copied    lib/multi:1.0 ${index.manifestDigest}`);
    expect(run.stdout.trim().split("\n").pop()).toMatch(
      /^bytes=\d+ blobs_copied=\d+ blobs_skipped=\d+ seconds=\d+\.\d{3} mbps=\d+\.\d$/,
    );
    const layers = [image.config, ...image.layers, ...index.images.flatMap((i) => [i.config, ...i.layers])];
    expect(summaryOf(run)).toMatchObject({
      blobs_copied: layers.length,
      blobs_skipped: 0,
      bytes:
        layers.reduce((n, b) => n + b.size, 0) +
        image.manifest.length +
        index.manifest.length +
        index.images.reduce((n, i) => n + i.manifest.length, 0),
    });
    const report = await verifyStore(dataDir);
    expect(report).toMatchObject({ ok: true, blobs: layers.length + 4 });

    const again = await runSatellite(syncOnceArgs(upstream.url, ["lib/app:v1", "lib/multi:1.0"], dataDir));
    expect(again.code, again.stderr).toBe(0);
    expect(summaryOf(again)).toMatchObject({ bytes: 0, blobs_copied: 0 });
    expect(again.stdout).toContain("unchanged lib/app:v1");
  });

  it("serves what it replicated through `satellite serve`, bytes and digests intact", async () => {
    expect((await runSatellite(syncOnceArgs(upstream.url, ["lib/multi:1.0", "lib/app:v1"], dataDir))).code).toBe(0);
    await withServe(dataDir, async (local) => {
      const served = await local.getManifest("lib/multi", "1.0");
      expect(served).toMatchObject({ digest: index.manifestDigest, mediaType: index.mediaType });
      expect(served.bytes.equals(index.manifest)).toBe(true);
      const arm = index.images[1];
      expect((await local.getManifest("lib/multi", arm.manifestDigest)).bytes.equals(arm.manifest)).toBe(true);
      const layer = await local.getBlobBytes("lib/app", image.layers[1].digest, { maxBytes: 8 << 20 });
      expect(layer.length).toBe(image.layers[1].size);
    });
  });

  it("copies only the requested platform of an index and untags images dropped from the list", async () => {
    const first = await runSatellite(
      syncOnceArgs(upstream.url, ["lib/multi:1.0", "lib/app:v1"], dataDir, ["--platform", "linux/arm64"]),
    );
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`copied    lib/multi:1.0 ${index.images[1].manifestDigest}`);
    const second = await runSatellite(syncOnceArgs(upstream.url, ["lib/app:v1"], dataDir));
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain("untagged  lib/multi:1.0");
    expect((await verifyStore(dataDir)).ok).toBe(true);
  });

  it("fails alone the image that is missing upstream, naming it, and exits 1", async () => {
    const run = await runSatellite(syncOnceArgs(upstream.url, ["lib/app:v1", "lib/ghost:1"], dataDir));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("copied    lib/app:v1");
    expect(run.stderr).toMatch(/satellite: image lib\/ghost:1 failed: .*404 MANIFEST_UNKNOWN/);
  });
});

describe("satellite sync --once against Harbor (emulated: robot account, token flow)", () => {
  let harbor: HarborEmulator;
  let robot: { username: string; password: string };

  beforeAll(async () => {
    harbor = await startHarborEmulator({ upstream });
    const api = createHarborClient({ url: harbor.url, username: "admin", password: "Harbor12345" });
    await api.ensureProject("edge", { public: false });
    await pushImage(harbor.url, "edge/app", "v1", image, { username: "admin", password: "Harbor12345" });
    const created = await api.createRobot({
      name: "sat-1",
      level: "system",
      duration: -1,
      permissions: [{ kind: "project", namespace: "edge", access: [{ resource: "repository", action: "pull" }] }],
    });
    robot = { username: created.name as string, password: created.secret as string };
  });
  afterAll(async () => {
    await harbor?.stop();
  });

  it("pulls with the robot's credentials through the token flow", async () => {
    const run = await runSatellite(syncOnceArgs(harbor.url, ["edge/app:v1"], dataDir, ["--username", robot.username]), {
      SATELLITE_UPSTREAM_PASSWORD: robot.password,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`copied    edge/app:v1 ${image.manifestDigest}`);
    expect((await verifyStore(dataDir)).ok).toBe(true);
    expect(harbor.violations()).toEqual([]);
  });

  it("fails with a wrong password without printing it", async () => {
    const run = await runSatellite(
      syncOnceArgs(harbor.url, ["edge/app:v1"], dataDir, [
        "--username",
        robot.username,
        "--password",
        "not-the-Secret-123",
      ]),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/image edge\/app:v1 failed: .*401/);
    expect(run.stdout + run.stderr).not.toContain("not-the-Secret-123");
  });
});
