import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeRegistry, type FakeRegistry } from "@harbor-satellite/oci/testing";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConfigValidationError } from "../config/config-error.js";
import { createReplicationEngine, type ReplicationEngine } from "../replication/replication-engine.js";
import { createFakeContentStore, type FakeContentStore } from "../replication/testing/fake-content-store.js";
import { seedImage } from "../replication/testing/seed-upstream.js";
import { createStateFetcher, type StateFetcher } from "./state-fetcher.js";
import { createStatePass, type StatePass } from "./state-pass.js";
import { createStateReader } from "./state-reader.js";
import { stateDocuments, stateImage } from "@harbor-satellite/testkit";

const ROBOT = { username: "robot$satellite+edge", password: "robot-secret" };
let engine: ReplicationEngine;
let store: FakeContentStore;
let registry: FakeRegistry;
let fetcher: StateFetcher;
let dir: string;
let configs: unknown[];
let configFails: boolean | Error;

beforeAll(() => {
  // One engine for the file; each test gets a fresh store behind this forwarder.
  const lazy = new Proxy({} as FakeContentStore, {
    get: (_t, key) => (store as unknown as Record<string | symbol, unknown>)[key],
  });
  engine = createReplicationEngine({ store: lazy, logger: pino({ level: "silent" }), workerThreads: 1 });
});
afterAll(async () => {
  await engine.close();
});
beforeEach(async () => {
  // Harbor answers with a Docker token challenge; the robot logs in at the token endpoint.
  registry = await startFakeRegistry({ mode: "bearer", ...ROBOT });
  store = await createFakeContentStore();
  dir = await mkdtemp(join(tmpdir(), "hs-pass-"));
  fetcher = createStateFetcher({ auth: { url: registry.url, ...ROBOT }, retry: { attempts: 1 } });
  configs = [];
  configFails = false;
});
afterEach(async () => {
  fetcher.close();
  await registry.close();
  await store.remove();
  await rm(dir, { recursive: true, force: true });
});

function publish(repository: string, json: string): string {
  const img = stateImage(json);
  for (const blob of img.blobs) registry.putBlob(blob);
  return registry.putManifest(repository, "latest", img.manifest, img.mediaType);
}

const host = () => new URL(registry.url).host;
const pinned = (kind: string, name: string, digest: string) =>
  `${host()}/satellite/${kind}-state/${name}/state@${digest}`;

function publishSatellite(
  groups: Record<string, { repository: string; tag: string[] }[]>,
  config = { app_config: { log_level: "info" } },
): void {
  const urls = Object.entries(groups).map(([name, artifacts]) =>
    pinned(
      "group",
      name,
      publish(`satellite/group-state/${name}/state`, stateDocuments.group(name, registry.url, artifacts)),
    ),
  );
  const configDigest = publish("satellite/config-state/default/state", JSON.stringify(config));
  publish(
    "satellite/satellite-state/edge/state",
    stateDocuments.satellite(urls, pinned("config", "default", configDigest)),
  );
}

function makePass(): StatePass {
  return createStatePass({
    reader: createStateReader({ fetcher }),
    engine,
    appliedStatePath: join(dir, "state.json"),
    upstream: (url) => ({ url, credentials: ROBOT, retry: { attempts: 1 } }),
    onConfig: (document) => {
      if (configFails) throw configFails instanceof Error ? configFails : new Error("config refused");
      configs.push(document);
    },
  });
}

const satelliteUrl = () => `${registry.url}/satellite/satellite-state/edge/state:latest`;
const tagged = async (repository: string, tag: string) => (await store.getManifest(repository, tag))?.digest;

describe("state pass", () => {
  it("replicates the union of groups, then does nothing while the state is unchanged", async () => {
    const nginx = seedImage(registry, "library/nginx", "1", [Buffer.from("nginx layer")]);
    const alpine = seedImage(registry, "library/alpine", "3", [Buffer.from("alpine layer")]);
    publishSatellite({
      g1: [
        { repository: "library/nginx", tag: ["1"] },
        { repository: "library/alpine", tag: ["3"] },
      ],
      g2: [{ repository: "library/alpine", tag: ["3"] }],
    });
    const pass = makePass();
    const first = await pass.run(satelliteUrl());
    expect(first.status).toBe("applied");
    expect(first.imageErrors).toEqual([]);
    expect(first.plan?.add.map((i) => `${i.repository}:${i.tag}`)).toEqual(["library/nginx:1", "library/alpine:3"]);
    expect(await tagged("library/nginx", "1")).toBe(nginx.digest);
    expect(await tagged("library/alpine", "3")).toBe(alpine.digest);
    expect(configs).toEqual([{ app_config: { log_level: "info" } }]);

    const before = registry.requests.length;
    const second = await makePass().run(satelliteUrl()); // a restart: state comes from state.json
    expect(second.status).toBe("unchanged");
    expect(second.configDigest).toBe(first.configDigest);
    expect(registry.requests.slice(before).map((r) => r.path)).toEqual([
      "/v2/satellite/satellite-state/edge/state/manifests/latest",
    ]);
  });

  it("deletes a removed group's images unless another group still wants them, and adds the new group's", async () => {
    seedImage(registry, "library/nginx", "1", [Buffer.from("nginx layer")]);
    seedImage(registry, "library/alpine", "3", [Buffer.from("alpine layer")]);
    const redis = seedImage(registry, "library/redis", "7", [Buffer.from("redis layer")]);
    publishSatellite({
      g1: [
        { repository: "library/nginx", tag: ["1"] },
        { repository: "library/alpine", tag: ["3"] },
      ],
      g2: [{ repository: "library/alpine", tag: ["3"] }],
    });
    const pass = makePass();
    await pass.run(satelliteUrl());
    publishSatellite({
      g2: [{ repository: "library/alpine", tag: ["3"] }],
      g3: [{ repository: "library/redis", tag: ["7"] }],
    });
    const result = await pass.run(satelliteUrl());
    expect(result.status).toBe("applied");
    expect(result.plan?.remove.map((i) => `${i.repository}:${i.tag}`)).toEqual(["library/nginx:1"]);
    expect(await tagged("library/nginx", "1")).toBeUndefined();
    expect(await tagged("library/alpine", "3")).toBeDefined();
    expect(await tagged("library/redis", "7")).toBe(redis.digest);
    expect((await pass.applied())?.owned?.map((o) => `${o.repository}:${o.tag}`).sort()).toEqual([
      "library/alpine:3",
      "library/redis:7",
    ]);

    publishSatellite({});
    await pass.run(satelliteUrl());
    expect(await tagged("library/alpine", "3")).toBeUndefined();
    expect((await pass.applied())?.owned).toEqual([]);
  });

  it("reports per-image errors, keeps the good images, and retries on the next pass", async () => {
    seedImage(registry, "library/alpine", "3", [Buffer.from("alpine layer")]);
    publishSatellite({
      g: [
        { repository: "library/alpine", tag: ["3"] },
        { repository: "library/missing", tag: ["1"] },
      ],
    });
    const pass = makePass();
    const first = await pass.run(satelliteUrl());
    expect(first.status).toBe("partial");
    expect(first.imageErrors.map((e) => e.reference)).toEqual(["library/missing:1"]);
    expect(first.imageErrors[0].message).not.toContain(ROBOT.password);
    expect(await tagged("library/alpine", "3")).toBeDefined();
    const missing = seedImage(registry, "library/missing", "1", [Buffer.from("late layer")]);
    const second = await pass.run(satelliteUrl());
    expect(second.status).toBe("applied");
    expect(await tagged("library/missing", "1")).toBe(missing.digest);
  });

  it("hands a changed config over before replicating (onConfigAhead), and applies it after (onConfig)", async () => {
    seedImage(registry, "library/nginx", "1", [Buffer.from("nginx layer")]);
    publishSatellite({ g1: [{ repository: "library/nginx", tag: ["1"] }] }, { app_config: { log_level: "warn" } });
    const order: string[] = [];
    const pass = createStatePass({
      reader: createStateReader({ fetcher }),
      engine: {
        replicate: (request) => (order.push("replicate"), engine.replicate(request)),
      },
      appliedStatePath: join(dir, "state.json"),
      upstream: (url) => ({ url, credentials: ROBOT, retry: { attempts: 1 } }),
      onConfigAhead: (document) => void order.push(`ahead ${JSON.stringify(document)}`),
      onConfig: () => void order.push("config"),
    });
    expect((await pass.run(satelliteUrl())).status).toBe("applied");
    expect(order).toEqual(['ahead {"app_config":{"log_level":"warn"}}', "replicate", "config"]);
    // Unchanged config: not handed over again.
    order.length = 0;
    await pass.run(satelliteUrl());
    expect(order.filter((o) => o.startsWith("ahead"))).toEqual([]);
  });

  it("retries a config the agent refused on the next pass", async () => {
    publishSatellite({}, { app_config: { log_level: "debug" } });
    configFails = true;
    const pass = makePass();
    const first = await pass.run(satelliteUrl());
    expect(first.status).toBe("partial");
    expect(first.failures.map((f) => f.kind)).toEqual(["config"]);
    expect(first.configDigest).toBeUndefined();
    configFails = false;
    const second = await pass.run(satelliteUrl());
    expect(second.status).toBe("applied");
    expect(configs).toEqual([{ app_config: { log_level: "debug" } }]);
  });

  it("reports an invalid config without making the pass partial, and reads it again next pass", async () => {
    publishSatellite({}, { app_config: { log_level: "warning" } });
    configFails = new ConfigValidationError(
      [{ path: "app_config.log_level", message: "expected one of …" }],
      "config-state artifact",
    );
    const pass = makePass();
    const first = await pass.run(satelliteUrl());
    expect(first.status).toBe("applied");
    expect(first.failures.map((f) => [f.kind, f.error.message])).toEqual([
      ["config", "config-state artifact is invalid: app_config.log_level: expected one of …"],
    ]);
    expect(first.configDigest).toBeUndefined();
    const second = await pass.run(satelliteUrl());
    expect(second.failures.map((f) => f.kind)).toEqual(["config"]);
    expect(configs).toEqual([]);
  });
});
