// SATELLITE_STATE_IN_HARBOR, through the registry service's generated client, with both modes
// sharing one database and one Harbor (the emulator's REST API, and the in-memory pusher as its
// registry: deleting a repository removes what was pushed there). On: each satellite state is
// stored AND pushed to Harbor, the same bytes Ground Control serves, and no Harbor copy is ever
// deleted on a store. Off: nothing is pushed, the old copy goes on the first store, and so does a
// copy the on mode pushed, at the first store after the mode is turned off. DeleteState removes
// both in either mode.
import { Writable } from "node:stream";
import { Code, ConnectError, createClient, createRouterTransport, type Client, type Interceptor } from "@connectrpc/connect";
import { RegistryService, StateKind } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import { openMemoryDatabase, satelliteStateArtifacts, type DatabaseHandle } from "@harbor-satellite/db";
import { createHarborClient, type HarborClient } from "@harbor-satellite/harbor";
import { digestOf } from "@harbor-satellite/oci";
import { callerKey, errorMappingInterceptor } from "@harbor-satellite/rpc";
import { createLogger, type Logger } from "@harbor-satellite/telemetry";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator/index";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createRegistryModule } from "./index.js";
import { createMemoryPusher, type MemoryPusher } from "./testing.js";

const ADMIN = { username: "admin", password: "Harbor12345" };
const PIN = (c: string) => `sha256:${c.repeat(64)}`;
const STATE = { groups: ["web"], groupDigests: { web: PIN("a") }, configName: "default", configDigest: PIN("b") };
const REPO = (satellite: string) => `satellite/satellite-state/${satellite}/state`;
const silent = createLogger({ name: "state-in-harbor-test", level: "silent" });

const asAdmin: Interceptor = (next) => (req) => {
  req.contextValues.set(callerKey, { kind: "admin", username: "admin" });
  return next(req);
};

function capturedLogger(): { logger: Logger; lines: Array<{ level: string; msg: string }> } {
  const lines: Array<{ level: string; msg: string }> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line) as { level: string; msg: string });
      cb();
    },
  });
  return { logger: createLogger({ name: "registry", level: "info", destination }), lines };
}

async function codeOf(p: Promise<unknown>): Promise<Code> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectError);
  return (error as ConnectError).code;
}

describe("satellite states with SATELLITE_STATE_IN_HARBOR on and off", () => {
  let emu: HarborEmulator;
  let handle: DatabaseHandle;
  let pusher: MemoryPusher;
  let harborClient: HarborClient;
  let harborDeletes: string[];
  let now: number;
  const clients: Record<"on" | "off", Client<typeof RegistryService>> = {} as never;

  beforeAll(async () => {
    [emu, handle] = await Promise.all([startHarborEmulator({ adminUser: ADMIN.username, adminPassword: ADMIN.password }), openMemoryDatabase()]);
    pusher = createMemoryPusher();
    const real = createHarborClient({ url: emu.url, ...ADMIN });
    harborClient = {
      ...real,
      async deleteRepository(project, repo) {
        harborDeletes.push(`${project}/${repo}`);
        let deleted = false;
        for (const key of [...pusher.manifests.keys()]) {
          if (key.startsWith(`${project}/${repo}:`)) deleted = pusher.manifests.delete(key);
        }
        return deleted;
      },
    };
    for (const mode of ["on", "off"] as const) {
      const module = createRegistryModule({
        db: handle.db,
        harbor: { url: emu.url, ...ADMIN },
        harborClient,
        pusher,
        logger: silent,
        publicUrl: "http://gc.example.com:8080",
        satelliteStateInHarbor: mode === "on",
        now: () => new Date(now),
      });
      clients[mode] = createClient(RegistryService, createRouterTransport(module.routes, { router: { interceptors: [errorMappingInterceptor(), asAdmin] } }));
    }
  });
  beforeEach(() => {
    harborDeletes = [];
    pusher.failWith = undefined;
    now = 1_700_000_000_000;
  });
  afterEach(() => expect(emu.violations()).toEqual([]));
  afterAll(async () => {
    await emu?.stop();
    await handle?.close();
  });

  const tagsInHarbor = (satellite: string) =>
    [...pusher.manifests.keys()]
      .filter((k) => k.startsWith(`${REPO(satellite)}:`))
      .map((k) => k.slice(REPO(satellite).length + 1))
      .sort();
  const harborCopyFlag = async (satellite: string) =>
    (await handle.db.select({ harborCopy: satelliteStateArtifacts.harborCopy }).from(satelliteStateArtifacts).where(eq(satelliteStateArtifacts.satellite, satellite)))[0]?.harborCopy;
  const served = async (satellite: string, client = clients.on) => {
    const manifest = await client.getSatelliteStateArtifact({ satellite, target: { case: "manifest", value: "latest" } });
    const parsed = JSON.parse(Buffer.from(manifest.content).toString()) as { config: { digest: string }; layers: Array<{ digest: string }> };
    const blob = async (digest: string) => Buffer.from((await client.getSatelliteStateArtifact({ satellite, target: { case: "blob", value: digest } })).content);
    return { manifest, parsed, config: await blob(parsed.config.digest), layer: await blob(parsed.layers[0].digest) };
  };

  it("logs one warning with the cost when the mode is on, and none when it is off", () => {
    for (const on of [true, false]) {
      const { logger, lines } = capturedLogger();
      createRegistryModule({ db: handle.db, harbor: { url: emu.url, ...ADMIN }, harborClient, pusher, logger, satelliteStateInHarbor: on });
      const warnings = lines.filter((l) => l.level === "warn");
      if (!on) {
        expect(warnings).toEqual([]);
        continue;
      }
      expect(warnings).toHaveLength(1);
      expect(warnings[0].msg).toContain("every satellite's robot can read every other satellite's state");
      expect(warnings[0].msg).toContain("only while original Go satellites remain");
    }
  });

  it("on: stores the state and pushes the same bytes to Harbor under latest and the unix time; Ground Control still names and serves its own copy", async () => {
    const res = await clients.on.publishSatelliteState({ satellite: "edge-1", ...STATE });
    expect(res.state).toMatchObject({ url: "http://gc.example.com:8080/satellite/satellite-state/edge-1/state:latest", timestampTag: "1700000000" });
    expect(tagsInHarbor("edge-1")).toEqual(["1700000000", "latest"]);
    const { manifest, parsed, config, layer } = await served("edge-1");
    for (const tag of ["latest", "1700000000"]) {
      const pushed = pusher.manifests.get(`${REPO("edge-1")}:${tag}`);
      expect(pushed?.mediaType).toBe(manifest.mediaType);
      expect(pushed?.bytes.equals(Buffer.from(manifest.content))).toBe(true);
      expect(digestOf(pushed?.bytes ?? Buffer.alloc(0))).toBe(res.state?.digest);
    }
    expect(pusher.blobs.get(parsed.config.digest)?.equals(config)).toBe(true);
    expect(pusher.blobs.get(parsed.layers[0].digest)?.equals(layer)).toBe(true);
    expect(await harborCopyFlag("edge-1")).toBe(true);
    expect(harborDeletes).toEqual([]);
  });

  it("on: keeps the copy an earlier Ground Control left in Harbor on the first store, and never deletes on later ones", async () => {
    pusher.manifests.set(`${REPO("legacy")}:1600000000`, { bytes: Buffer.from("{}"), mediaType: "application/vnd.docker.distribution.manifest.v2+json" });
    await clients.on.publishSatelliteState({ satellite: "legacy", ...STATE });
    now += 5_000;
    const second = await clients.on.publishSatelliteState({ satellite: "legacy", ...STATE, configDigest: PIN("c") });
    expect(harborDeletes).toEqual([]);
    expect(tagsInHarbor("legacy")).toEqual(["1600000000", "1700000000", "1700000005", "latest"]);
    expect(digestOf(pusher.manifests.get(`${REPO("legacy")}:latest`)?.bytes ?? Buffer.alloc(0))).toBe(second.state?.digest);
    expect((await served("legacy")).manifest.digest).toBe(second.state?.digest);
  });

  it("on: a failed push fails the publish (so it is retried), with the row already marked as having a Harbor copy", async () => {
    pusher.failWith = new Error("connection refused");
    expect(await codeOf(clients.on.publishSatelliteState({ satellite: "edge-down", ...STATE }))).toBe(Code.Unavailable);
    expect(await harborCopyFlag("edge-down")).toBe(true);
    pusher.failWith = undefined;
    await clients.on.publishSatelliteState({ satellite: "edge-down", ...STATE });
    expect(tagsInHarbor("edge-down")).toEqual(["1700000000", "latest"]);
  });

  it("off: pushes nothing and deletes the old Harbor copy on the first store only", async () => {
    pusher.manifests.set(`${REPO("fresh")}:1600000000`, { bytes: Buffer.from("{}"), mediaType: "application/vnd.docker.distribution.manifest.v2+json" });
    const res = await clients.off.publishSatelliteState({ satellite: "fresh", ...STATE });
    expect(harborDeletes).toEqual([REPO("fresh")]);
    expect(tagsInHarbor("fresh")).toEqual([]);
    await clients.off.publishSatelliteState({ satellite: "fresh", ...STATE, configDigest: PIN("d") });
    expect(harborDeletes).toHaveLength(1);
    expect(tagsInHarbor("fresh")).toEqual([]);
    expect(await harborCopyFlag("fresh")).toBe(false);
    expect((await served("fresh", clients.off)).manifest.digest).not.toBe(res.state?.digest);
  });

  it("turned off, deletes the copy the on mode pushed at the next store, once", async () => {
    await clients.on.publishSatelliteState({ satellite: "edge-2", ...STATE });
    expect(tagsInHarbor("edge-2")).toEqual(["1700000000", "latest"]);
    await clients.off.publishSatelliteState({ satellite: "edge-2", ...STATE });
    expect(harborDeletes).toEqual([REPO("edge-2")]);
    expect(tagsInHarbor("edge-2")).toEqual([]);
    expect(await harborCopyFlag("edge-2")).toBe(false);
    await clients.off.publishSatelliteState({ satellite: "edge-2", ...STATE });
    expect(harborDeletes).toHaveLength(1);
  });

  it("DeleteState removes both the stored state and the Harbor copy, in either mode", async () => {
    for (const mode of ["on", "off"] as const) {
      const satellite = `doomed-${mode}`;
      await clients.on.publishSatelliteState({ satellite, ...STATE });
      expect(tagsInHarbor(satellite)).toEqual(["1700000000", "latest"]);
      harborDeletes = [];
      await clients[mode].deleteState({ kind: StateKind.SATELLITE, name: satellite });
      expect(harborDeletes, mode).toEqual([REPO(satellite)]);
      expect(tagsInHarbor(satellite), mode).toEqual([]);
      expect(await harborCopyFlag(satellite)).toBeUndefined();
      expect(await codeOf(clients[mode].getSatelliteStateArtifact({ satellite, target: { case: "manifest", value: "latest" } }))).toBe(Code.NotFound);
    }
  });
});
