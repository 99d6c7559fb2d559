// The replication engine writing into a bring-your-own registry: a real docker-registry upstream,
// a second real docker-registry with htpasswd (bcrypt) Basic auth as the target. Digests and
// bytes are the upstream's (an index whole, children first), a second pass pushes nothing, a blob
// another repository of the target holds is mounted (and uploaded when the mount is refused),
// and a refusing or unreachable target fails the pass with one clear error, then recovers.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHarborClient } from "@harbor-satellite/harbor";
import { createRegistryClient, type RegistryClient } from "@harbor-satellite/oci";
import {
  buildImage,
  buildIndex,
  freePort,
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
import { startHarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { captureLogs, type CapturedLogs } from "../agent/testing/agent-test-kit.js";
import { openContentStore } from "../store/open-store.js";
import type { FsContentStore } from "../store/fs-content-store.js";
import { createRegistryTarget, type RegistryTargetSettings } from "./registry-target.js";
import { createReplicationEngine, type ReplicationEngine } from "./replication-engine.js";

const USER = { username: "pusher", password: "byo-pass-7f3k" };
const FAST_RETRY = { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 };

let upstream: DockerRegistry;
let blobs: string;
let image: SyntheticImage;
let index: SyntheticIndex;

beforeAll(async () => {
  expect(dockerRegistryAvailable(), "install Debian's docker-registry package").toBe(true);
  upstream = await startDockerRegistry();
  blobs = await makeBlobDir();
  // 3 MiB goes through a worker thread and a temp file; 512 bytes through the in-memory writer.
  image = await buildImage({ layerSizes: [3 << 20, 512], dir: blobs });
  index = await buildIndex(
    [
      { os: "linux", architecture: "amd64" },
      { os: "linux", architecture: "arm64" },
    ],
    { layerSizes: [256 << 10], dir: blobs, format: "docker" },
  );
  await pushImage(upstream.url, "lib/app", "v1", image);
  await pushImage(upstream.url, "other/app", "v1", image);
  await pushImage(upstream.url, "third/app", "v1", image);
  await pushIndex(upstream.url, "lib/multi", "1.0", index);
});
afterAll(async () => {
  await upstream?.stop();
  if (blobs) await removeBlobDir(blobs);
});

describe("replication into a bring-your-own registry", () => {
  let target: DockerRegistry | undefined;
  let scratchDir: string;
  let store: FsContentStore;
  let engine: ReplicationEngine | undefined;
  let logs: CapturedLogs;
  let reader: RegistryClient | undefined;
  let close: (() => void) | undefined;

  beforeEach(async () => {
    scratchDir = await mkdtemp(join(tmpdir(), "byo-it-"));
    store = await openContentStore({ root: scratchDir });
    logs = captureLogs("debug");
  });
  afterEach(async () => {
    close?.();
    reader?.close();
    await engine?.close();
    await target?.stop();
    await store.close();
    await rm(scratchDir, { recursive: true, force: true });
    engine = reader = close = target = undefined;
  });

  const settingsFor = (url: string, password = USER.password): RegistryTargetSettings => ({
    url,
    username: USER.username,
    password,
    ca_file: "",
    skip_verify: false,
  });
  const engineInto = (settings: RegistryTargetSettings) => {
    const byo = createRegistryTarget({
      settings: () => settings,
      scratch: store,
      logger: logs.logger,
      retry: FAST_RETRY,
    });
    close = () => byo.close();
    engine = createReplicationEngine({ store, target: byo, logger: logs.logger, workerThreads: 1 });
    return engine;
  };
  const readerOf = (registry: DockerRegistry) =>
    (reader = createRegistryClient({ url: registry.url, credentials: USER, retry: { attempts: 1 } }));

  it("pushes the upstream's exact manifests and blobs (an index whole), and a second pass pushes nothing", async () => {
    target = await startDockerRegistry({ htpasswd: USER });
    const e = engineInto(settingsFor(target.url));
    const images = [
      { repository: "lib/app", tag: "v1" },
      { repository: "lib/multi", tag: "1.0" },
    ];
    const first = await e.replicate({ upstream: { url: upstream.url }, images });
    expect(first.failed).toEqual([]);
    // The image: config and two layers; the index: a config and a layer per child.
    expect(first.blobsCopied).toBe(3 + 2 * 2);
    const client = readerOf(target);

    const app = await client.getManifest("lib/app", "v1");
    expect(app.digest).toBe(image.manifestDigest);
    expect(app.bytes.equals(image.manifest)).toBe(true);
    expect(app.mediaType).toBe(image.mediaType);
    for (const blob of [image.config, ...image.layers])
      expect(await client.headBlob("lib/app", blob.digest)).toEqual({ size: blob.size });

    const multi = await client.getManifest("lib/multi", "1.0");
    expect(multi.digest).toBe(index.manifestDigest);
    expect(multi.bytes.equals(index.manifest)).toBe(true);
    for (const child of index.images) {
      const held = await client.getManifest("lib/multi", child.manifestDigest);
      expect(held.bytes.equals(child.manifest)).toBe(true);
      for (const blob of [child.config, ...child.layers])
        expect(await client.headBlob("lib/multi", blob.digest)).toEqual({ size: blob.size });
    }

    // Unchanged upstream: a HEAD per tag, no blob fetched or pushed; repair mode HEADs every blob
    // in the target and still pushes none.
    const second = await e.replicate({ upstream: { url: upstream.url }, images, owned: first.owned });
    expect(second.images.map((i) => i.status)).toEqual(["unchanged", "unchanged"]);
    expect(second.blobsCopied).toBe(0);
    const repair = await e.replicate({ upstream: { url: upstream.url }, images, owned: first.owned, repair: true });
    expect(repair.failed).toEqual([]);
    expect(repair.blobsCopied).toBe(0);
    expect(repair.blobsSkipped).toBe(first.blobsCopied);
    expect(logs.text()).not.toContain(USER.password);
  });

  it("mounts a blob another repository of the target holds, and uploads it when the mount is refused", async () => {
    target = await startDockerRegistry({ htpasswd: USER });
    const e = engineInto(settingsFor(target.url));
    const up = { url: upstream.url };
    expect((await e.replicate({ upstream: up, images: [{ repository: "lib/app", tag: "v1" }] })).failed).toEqual([]);

    const mounted = await e.replicate({ upstream: up, images: [{ repository: "other/app", tag: "v1" }] });
    expect(mounted.failed).toEqual([]);
    expect(mounted.blobsCopied).toBe(0);
    expect(mounted.blobsSkipped).toBe(3);
    // Only the manifest came from upstream: the 3 MiB layer was linked, not fetched.
    expect(mounted.bytes).toBe(image.manifest.length);
    expect(logs.text()).toContain("blob mounted");

    // The source repository loses the big layer: the mount is answered 202, and the layer is
    // fetched and uploaded after all.
    const client = readerOf(target);
    const big = image.layers.find((l) => l.size > 1 << 20)!;
    const deleted = await fetch(`${target.url}/v2/other/app/blobs/${big.digest}`, {
      method: "DELETE",
      headers: { authorization: `Basic ${Buffer.from(`${USER.username}:${USER.password}`).toString("base64")}` },
    });
    expect(deleted.status).toBe(202);
    const uploaded = await e.replicate({ upstream: up, images: [{ repository: "third/app", tag: "v1" }] });
    expect(uploaded.failed).toEqual([]);
    expect(uploaded.blobsCopied).toBe(1);
    expect((await client.getManifest("third/app", "v1")).bytes.equals(image.manifest)).toBe(true);
    expect(await client.headBlob("third/app", big.digest)).toEqual({ size: big.size });
  });

  it("copies a layer two repositories share once in a pass, and mounts it into the second", async () => {
    target = await startDockerRegistry({ htpasswd: USER });
    const e = engineInto(settingsFor(target.url));
    const pass = await e.replicate({
      upstream: { url: upstream.url },
      images: [
        { repository: "lib/app", tag: "v1" },
        { repository: "other/app", tag: "v1" },
      ],
    });
    expect(pass.failed).toEqual([]);
    expect(pass.blobsCopied).toBe(3);
    // Every blob fetched from upstream once: the second repository got them by mount.
    const blobBytes = [image.config, ...image.layers].reduce((n, b) => n + b.size, 0);
    expect(pass.bytes).toBe(blobBytes + 2 * image.manifest.length);
    const client = readerOf(target);
    for (const repository of ["lib/app", "other/app"]) {
      expect((await client.getManifest(repository, "v1")).bytes.equals(image.manifest)).toBe(true);
      for (const blob of [image.config, ...image.layers])
        expect(await client.headBlob(repository, blob.digest)).toEqual({ size: blob.size });
    }
  });

  it("pushes into Harbor with its token flow (the emulator over a docker-registry), mounts included", async () => {
    const behind = await startDockerRegistry();
    const admin = { username: "admin", password: "byo-harbor-admin-9q" };
    const harbor = await startHarborEmulator({
      adminUser: admin.username,
      adminPassword: admin.password,
      upstream: { url: behind.url },
    });
    try {
      await createHarborClient({ url: harbor.url, ...admin }).ensureProject("site", { public: false });
      const settings = { ...settingsFor(harbor.url), ...admin };
      const byo = createRegistryTarget({
        settings: () => settings,
        scratch: store,
        logger: logs.logger,
        retry: FAST_RETRY,
      });
      close = () => byo.close();
      engine = createReplicationEngine({ store, target: byo, logger: logs.logger, workerThreads: 1 });
      // Harbor names repositories after projects: the satellite keeps upstream's names, so the
      // upstream's repositories are the project's here.
      await pushImage(upstream.url, "site/app", "v1", image);
      await pushImage(upstream.url, "site/copy", "v1", image);
      await pushIndex(upstream.url, "site/multi", "1.0", index);
      const first = await engine.replicate({
        upstream: { url: upstream.url },
        images: [
          { repository: "site/app", tag: "v1" },
          { repository: "site/multi", tag: "1.0" },
        ],
      });
      expect(first.failed).toEqual([]);
      const mounted = await engine.replicate({
        upstream: { url: upstream.url },
        images: [{ repository: "site/copy", tag: "v1" }],
      });
      expect(mounted.failed).toEqual([]);
      expect(mounted.blobsCopied).toBe(0);
      reader = createRegistryClient({ url: harbor.url, credentials: admin, retry: { attempts: 1 } });
      expect((await reader.getManifest("site/copy", "v1")).bytes.equals(image.manifest)).toBe(true);
      const multi = await reader.getManifest("site/multi", "1.0");
      expect(multi.bytes.equals(index.manifest)).toBe(true);
      for (const child of index.images)
        expect((await reader.getManifest("site/multi", child.manifestDigest)).bytes.equals(child.manifest)).toBe(true);
    } finally {
      await harbor.stop();
      await behind.stop();
    }
  });

  it("a refused password or a closed port fails every image with the target's URL and cause, then recovers", async () => {
    target = await startDockerRegistry({ htpasswd: USER });
    const images = [{ repository: "lib/app", tag: "v1" }];
    const refused = await engineInto(settingsFor(target.url, "wrong-password-x1")).replicate({
      upstream: { url: upstream.url },
      images,
    });
    expect(refused.owned).toEqual([]);
    expect(refused.failed.map((f) => f.error?.cause instanceof Error && f.error.cause.message)).toEqual([
      expect.stringMatching(new RegExp(`^bring-your-own registry ${target.url} cannot be written: .*HTTP 401`)),
    ]);
    expect(logs.text()).toMatch(/replication target unavailable/);
    expect(logs.text()).not.toContain("wrong-password-x1");
    close?.();
    await engine?.close();

    // Nothing listens on the port yet.
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const e = engineInto(settingsFor(url));
    const down = await e.replicate({ upstream: { url: upstream.url }, images });
    expect(down.failed[0]?.error?.cause).toBeInstanceOf(Error);
    expect((down.failed[0]!.error!.cause as Error).message).toMatch(
      new RegExp(`^bring-your-own registry ${url} cannot be written: .*ECONNREFUSED`),
    );
    expect(down.owned).toEqual([]);

    // It comes up on that port: the next pass succeeds.
    await target.stop();
    target = await startDockerRegistry({ htpasswd: USER, port });
    const up = await e.replicate({ upstream: { url: upstream.url }, images });
    expect(up.failed).toEqual([]);
    expect(up.owned.map((o) => o.digest)).toEqual([image.manifestDigest]);
    expect((await readerOf(target).getManifest("lib/app", "v1")).bytes.equals(image.manifest)).toBe(true);
  });
});
