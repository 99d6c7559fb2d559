import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeRegistry, type FakeRegistry } from "@harbor-satellite/oci/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadAppliedState, saveAppliedState, type AppliedState } from "./applied-state.js";
import { buildDesiredSet } from "./desired-set.js";
import { createStateFetcher, type StateFetcher } from "./state-fetcher.js";
import { createStateReader, toAppliedState, type StateChanges, type StateRead } from "./state-reader.js";
import {
  stateDocuments,
  stateImage,
  type StateArtifactImage as StateImage,
  type StateLayout,
} from "@harbor-satellite/testkit";

const ROBOT = { username: "robot$satellite+edge-1", password: "robot-secret" };
const D1 = `sha256:${"1".repeat(64)}`;

let registry: FakeRegistry;
let host: string;
let fetcher: StateFetcher;

function put(repository: string, json: string, layout: StateLayout = "crane"): StateImage {
  const img = stateImage(json, layout);
  for (const blob of img.blobs) registry.putBlob(blob);
  registry.putManifest(repository, "latest", img.manifest, img.mediaType);
  return img;
}

const url = (kind: string, name: string, ref = ":latest") => `${host}/satellite/${kind}-state/${name}/state${ref}`;
const changed = (read: StateRead): StateChanges => {
  if (read.status !== "changed") throw new Error("expected changes");
  return read;
};

beforeEach(async () => {
  registry = await startFakeRegistry({ mode: "basic", ...ROBOT });
  host = new URL(registry.url).host;
  fetcher = createStateFetcher({ auth: { url: host, ...ROBOT }, retry: { attempts: 1 } });
});
afterEach(async () => {
  fetcher.close();
  await registry.close();
});

function seedFleet(groupRef = ":latest") {
  const g1 = put(
    "satellite/group-state/g1/state",
    stateDocuments.group("g1", `http://${host}`, [
      { repository: "library/nginx", tag: ["1.25", "latest"] },
      { repository: "library/alpine", tag: ["3.19"], digest: D1 },
    ]),
  );
  const g2 = put(
    "satellite/group-state/g2/state",
    stateDocuments.group("g2", `http://${host}`, [
      { repository: "library/alpine", tag: ["3.19"], digest: D1 },
      { repository: "library/redis", tag: ["7"] },
    ]),
  );
  const config = put(
    "satellite/config-state/default/state",
    JSON.stringify({ app_config: { heartbeat_interval: "@every 00h01m00s" } }),
  );
  const refFor = (img: StateImage) => (groupRef === "@" ? `@${img.digest}` : groupRef);
  const satellite = put(
    "satellite/satellite-state/edge-1/state",
    stateDocuments.satellite(
      [url("group", "g1", refFor(g1)), url("group", "g2", refFor(g2))],
      url("config", "default", refFor(config)),
    ),
  );
  return { g1, g2, config, satellite };
}

describe("state reader", () => {
  it("reads satellite → groups → config as the original lays them out, with robot credentials", async () => {
    const { satellite, g1, config } = seedFleet();
    const read = changed(await createStateReader({ fetcher }).read(url("satellite", "edge-1")));
    expect(read.satelliteDigest).toBe(satellite.digest);
    expect(read.complete).toBe(true);
    expect(read.groups.map((g) => [g.group, g.source])).toEqual([
      ["g1", "fetched"],
      ["g2", "fetched"],
    ]);
    expect(read.groups[0].digest).toBe(g1.digest);
    expect(read.groups[0].registryUrl).toBe(`http://${host}`);
    expect(read.config).toMatchObject({
      digest: config.digest,
      changed: true,
      document: { app_config: { heartbeat_interval: "@every 00h01m00s" } },
    });
    const desired = buildDesiredSet(read.groups);
    expect(desired.images.map((i) => `${i.repository}:${i.tag}${i.digest ? "@" : ""}`).sort()).toEqual([
      "library/alpine:3.19@",
      "library/nginx:1.25",
      "library/nginx:latest",
      "library/redis:7",
    ]);
    // The first request learns the challenge; every later one carries the robot's Basic credentials.
    expect(registry.requests.slice(1).every((r) => r.authScheme === "Basic")).toBe(true);
  });

  it("makes no request past the satellite-state manifest when its digest is unchanged and its URLs are pinned", async () => {
    seedFleet("@");
    const reader = createStateReader({ fetcher });
    const first = changed(await reader.read(url("satellite", "edge-1")));
    const applied = toAppliedState(first, buildDesiredSet(first.groups).images, true);
    const before = fetcher.requestCount;
    const logged = registry.requests.length;
    const second = await reader.read(url("satellite", "edge-1"), applied);
    expect(second.status).toBe("unchanged");
    expect(fetcher.requestCount - before).toBe(1);
    expect(registry.requests.slice(logged).map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /v2/satellite/satellite-state/edge-1/state/manifests/latest",
    ]);
  });

  it("with tag URLs, checks each manifest (no blob GET) and fetches only the group whose content changed", async () => {
    seedFleet();
    const reader = createStateReader({ fetcher });
    const first = changed(await reader.read(url("satellite", "edge-1")));
    const applied = toAppliedState(first, buildDesiredSet(first.groups).images, true);
    let logged = registry.requests.length;
    expect((await reader.read(url("satellite", "edge-1"), applied)).status).toBe("unchanged");
    const steady = registry.requests.slice(logged);
    expect(steady.filter((r) => r.path.includes("/blobs/"))).toEqual([]);
    expect(steady).toHaveLength(4);

    put(
      "satellite/group-state/g2/state",
      stateDocuments.group("g2", `http://${host}`, [{ repository: "library/busybox", tag: ["1.36"] }]),
    );
    logged = registry.requests.length;
    const next = changed(await reader.read(url("satellite", "edge-1"), applied));
    expect(next.groups.map((g) => [g.group, g.source])).toEqual([
      ["g1", "cached"],
      ["g2", "fetched"],
    ]);
    expect(next.config?.changed).toBe(false);
    const blobGets = registry.requests.slice(logged).filter((r) => r.method === "GET" && r.path.includes("/blobs/"));
    expect(blobGets.every((r) => r.path.startsWith("/v2/satellite/group-state/g2/"))).toBe(true);
    expect(blobGets).toHaveLength(1);
  });

  it("keeps a group's last content when it cannot be read, and reports the read incomplete", async () => {
    seedFleet();
    const reader = createStateReader({ fetcher });
    const first = changed(await reader.read(url("satellite", "edge-1")));
    const applied = toAppliedState(first, [], true);
    registry.addFault({ path: /group-state\/g1\/state\/manifests/, status: 503, times: 5 });
    const read = changed(await reader.read(url("satellite", "edge-1"), applied));
    expect(read.complete).toBe(false);
    expect(read.failures.map((f) => [f.kind, f.url])).toEqual([["group", url("group", "g1")]]);
    expect(read.groups.find((g) => g.group === "g1")).toMatchObject({
      source: "stale",
      artifacts: first.groups[0].artifacts,
    });
    // An incomplete record never short-circuits the next pass.
    const retry = await reader.read(url("satellite", "edge-1"), toAppliedState(read, [], true));
    expect(retry.status).toBe("changed");
  });

  it("fails the pass when the satellite state itself is unreachable", async () => {
    await expect(createStateReader({ fetcher }).read(url("satellite", "nobody"))).rejects.toThrow();
  });

  for (const layout of ["tar", "oci-artifact"] as const) {
    it(`reads a ${layout} layout`, async () => {
      put(
        "satellite/group-state/g/state",
        stateDocuments.group("g", `http://${host}`, [{ repository: "p/img", tag: ["t"] }]),
        layout,
      );
      put("satellite/satellite-state/s/state", stateDocuments.satellite([url("group", "g")]), layout);
      const read = changed(await createStateReader({ fetcher }).read(url("satellite", "s")));
      expect(read.groups[0].artifacts).toEqual([{ repository: "p/img", tags: ["t"], type: "image", deleted: false }]);
      expect(read.config).toBeUndefined();
    });
  }

  it("follows --harbor-registry-url: every Harbor URL from Ground Control goes to the override host", async () => {
    const published = "harbor.example.com";
    put(
      "satellite/group-state/g/state",
      stateDocuments.group("g", `https://${published}`, [{ repository: "p/img", tag: ["t"] }]),
    );
    put(
      "satellite/satellite-state/s/state",
      stateDocuments.satellite([`https://${published}/satellite/group-state/g/state:latest`]),
    );
    const overridden = createStateFetcher({
      auth: { url: `https://${published}`, ...ROBOT },
      registryOverride: `http://${host}`,
      retry: { attempts: 1 },
    });
    try {
      const read = changed(
        await createStateReader({ fetcher: overridden }).read(`${published}/satellite/satellite-state/s/state:latest`),
      );
      expect(read.groups[0].registryUrl).toBe(`http://${host}`);
      expect(registry.requests.some((r) => r.authScheme === "Basic")).toBe(true);
    } finally {
      overridden.close();
    }
  });

  it("reads the satellite state from Ground Control with the robot, overriding only Harbor's URLs, and stops there when unchanged", async () => {
    const gc = await startFakeRegistry({ mode: "basic", ...ROBOT });
    const published = "harbor.example.com";
    const stateUrl = `${new URL(gc.url).host}/satellite/satellite-state/s/state:latest`;
    const fromGc = createStateFetcher({
      auth: { url: `https://${published}`, ...ROBOT },
      stateUrl,
      registryOverride: `http://${host}`,
      retry: { attempts: 1 },
    });
    try {
      const group = put(
        "satellite/group-state/g/state",
        stateDocuments.group("g", `https://${published}`, [{ repository: "p/img", tag: ["t"] }]),
      );
      const img = stateImage(
        stateDocuments.satellite([`https://${published}/satellite/group-state/g/state@${group.digest}`]),
      );
      for (const blob of img.blobs) gc.putBlob(blob);
      gc.putManifest("satellite/satellite-state/s/state", "latest", img.manifest, img.mediaType);

      const reader = createStateReader({ fetcher: fromGc });
      const read = changed(await reader.read(stateUrl));
      expect(read.satelliteRegistryUrl).toBe(gc.url);
      expect(read.groups[0]).toMatchObject({ group: "g", source: "fetched", registryUrl: `http://${host}` });
      expect(gc.requests.some((r) => r.authScheme === "Basic")).toBe(true);
      expect(registry.requests.some((r) => r.authScheme === "Basic")).toBe(true);

      const [gcBefore, harborBefore] = [gc.requests.length, registry.requests.length];
      expect((await reader.read(stateUrl, toAppliedState(read, [], true))).status).toBe("unchanged");
      expect(gc.requests.length - gcBefore).toBe(1);
      expect(registry.requests.length).toBe(harborBefore);
    } finally {
      fromGc.close();
      await gc.close();
    }
  });

  it("never sends the robot's credentials to a host other than Harbor's", async () => {
    const other = await startFakeRegistry({ mode: "none" });
    try {
      const img = stateImage(stateDocuments.group("g", other.url, [{ repository: "p/img", tag: ["t"] }]));
      for (const blob of img.blobs) other.putBlob(blob);
      other.putManifest("satellite/group-state/g/state", "latest", img.manifest, img.mediaType);
      put(
        "satellite/satellite-state/s/state",
        stateDocuments.satellite([`${other.url}/satellite/group-state/g/state:latest`]),
      );
      const read = changed(await createStateReader({ fetcher }).read(url("satellite", "s")));
      expect(read.groups[0].group).toBe("g");
      expect(other.requests.length).toBeGreaterThan(0);
      expect(other.requests.every((r) => r.authScheme === undefined)).toBe(true);
    } finally {
      await other.close();
    }
  });

  it("persists the applied state so a restart sees it unchanged", async () => {
    seedFleet("@");
    const dir = await mkdtemp(join(tmpdir(), "hs-state-"));
    try {
      const reader = createStateReader({ fetcher });
      const first = changed(await reader.read(url("satellite", "edge-1")));
      await saveAppliedState(
        join(dir, "state.json"),
        toAppliedState(first, buildDesiredSet(first.groups).images, true),
      );
      const restored = (await loadAppliedState(join(dir, "state.json"))) as AppliedState;
      expect(restored.images).toHaveLength(4);
      expect((await reader.read(url("satellite", "edge-1"), restored)).status).toBe("unchanged");
      expect(await loadAppliedState(join(dir, "missing.json"))).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
