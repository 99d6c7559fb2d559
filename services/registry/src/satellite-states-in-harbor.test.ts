// SATELLITE_STATE_IN_HARBOR, through the registry service's generated client, with both modes
// sharing one database and one Harbor (the emulator's REST API, and the in-memory pusher as its
// registry: deleting a repository removes what was pushed there). On: each satellite state is
// stored AND pushed to Harbor, there in the original form (tag URLs, for original Go satellites
// that track groups by URL) where Ground Control serves pinned URLs, and no Harbor copy is ever
// deleted on a store. Off: nothing is pushed, the old copy goes on the first store, and so does a
// copy the on mode pushed, at the first store after the mode is turned off. DeleteState removes
// both in either mode.
import { Writable } from "node:stream";
import {
  Code,
  ConnectError,
  createClient,
  createRouterTransport,
  type Client,
  type Interceptor,
} from "@connectrpc/connect";
import { RegistryService, StateKind } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import { openMemoryDatabase, satelliteStateArtifacts, type DatabaseHandle } from "@harbor-satellite/db";
import { createHarborClient, type HarborClient } from "@harbor-satellite/harbor";
import { digestOf } from "@harbor-satellite/oci";
import { callerKey, errorMappingInterceptor } from "@harbor-satellite/rpc";
import { createLogger, type Logger } from "@harbor-satellite/telemetry";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createRegistryModule } from "./index.js";
import { payloadFromLayer } from "@harbor-satellite/state-artifact";
import { createMemoryPusher, type MemoryPusher } from "./testing.js";

/** scrypt at N = 2^10 for the secrets these tests store (production: 2^15). */
const FAST = { ln: 10, r: 8, p: 1 };

const ADMIN = { username: "admin", password: "Harbor12345" };
const PIN = (c: string) => `sha256:${c.repeat(64)}`;
const STATE = { groups: ["web"], groupDigests: { web: PIN("a") }, config: "default", configDigest: PIN("b") };
const REPO = (satellite: string) => `satellite/satellite-state/${satellite}/state`;
const PINNED = /@sha256:[0-9a-f]{64}$/;
type StateJson = { states?: string[]; config?: string };
/** The artifacts.json a state image's gzip layer holds. */
const artifactsJson = (layer: Buffer) => payloadFromLayer(layer) as StateJson;
const silent = createLogger({ name: "state-in-harbor-test", level: "silent" });

const asAdmin: Interceptor = (next) => (req) => {
  req.contextValues.set(callerKey, { kind: "admin", username: "admin" });
  return next(req);
};

function capturedLogger(): { logger: Logger; lines: Array<{ level: string; msg: string }> } {
  const lines: Array<{ level: string; msg: string }> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split("\n").filter(Boolean))
        lines.push(JSON.parse(line) as { level: string; msg: string });
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
    [emu, handle] = await Promise.all([
      startHarborEmulator({ adminUser: ADMIN.username, adminPassword: ADMIN.password }),
      openMemoryDatabase(),
    ]);
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
      clients[mode] = createClient(
        RegistryService,
        createRouterTransport(module.routes, { router: { interceptors: [errorMappingInterceptor(), asAdmin] } }),
      );
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
    (
      await handle.db
        .select({ harborCopy: satelliteStateArtifacts.harborCopy })
        .from(satelliteStateArtifacts)
        .where(eq(satelliteStateArtifacts.satellite, satellite))
    )[0]?.harborCopy;
  const served = async (satellite: string, client = clients.on) => {
    const manifest = await client.getSatelliteStateArtifact({
      satellite,
      target: { case: "manifest", value: "latest" },
    });
    const parsed = JSON.parse(Buffer.from(manifest.content).toString()) as {
      config: { digest: string };
      layers: Array<{ digest: string }>;
    };
    const blob = async (digest: string) =>
      Buffer.from(
        (await client.getSatelliteStateArtifact({ satellite, target: { case: "blob", value: digest } })).content,
      );
    const layer = await blob(parsed.layers[0].digest);
    return { manifest, parsed, config: await blob(parsed.config.digest), layer, json: artifactsJson(layer) };
  };
  /** The copy in Harbor under `tag`, read back as a registry client would. */
  const inHarbor = (satellite: string, tag = "latest") => {
    const pushed = pusher.manifests.get(`${REPO(satellite)}:${tag}`);
    if (!pushed) throw new Error(`no ${REPO(satellite)}:${tag} in Harbor`);
    const parsed = JSON.parse(pushed.bytes.toString()) as {
      config: { digest: string };
      layers: Array<{ digest: string }>;
    };
    const layer = pusher.blobs.get(parsed.layers[0].digest) ?? Buffer.alloc(0);
    return {
      ...pushed,
      digest: digestOf(pushed.bytes),
      parsed,
      config: pusher.blobs.get(parsed.config.digest),
      json: artifactsJson(layer),
    };
  };

  it("logs one warning with the cost when the mode is on, and none when it is off", () => {
    for (const on of [true, false]) {
      const { logger, lines } = capturedLogger();
      createRegistryModule({
        db: handle.db,
        harbor: { url: emu.url, ...ADMIN },
        harborClient,
        pusher,
        logger,
        satelliteStateInHarbor: on,
        secretHash: FAST,
      });
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

  it("on: stores the state and pushes its original form (tag URLs) to Harbor under latest and the unix time; Ground Control still names and serves its own pinned copy", async () => {
    const res = await clients.on.publishSatelliteState({
      satellite: "edge-1",
      ...STATE,
      groups: ["web", "api"],
      groupDigests: { web: PIN("a"), api: PIN("e") },
    });
    expect(res.state).toMatchObject({
      url: "http://gc.example.com:8080/satellite/satellite-state/edge-1/state:latest",
      timestampTag: "1700000000",
    });
    expect(tagsInHarbor("edge-1")).toEqual(["1700000000", "latest"]);
    const own = await served("edge-1");
    expect(own.manifest.digest).toBe(res.state?.digest);
    const harbor = `${emu.url}/satellite`;
    expect(own.json).toEqual({
      states: [`${harbor}/group-state/web/state@${PIN("a")}`, `${harbor}/group-state/api/state@${PIN("e")}`],
      config: `${harbor}/config-state/default/state@${PIN("b")}`,
    });
    const copy = inHarbor("edge-1");
    expect(copy.json).toEqual({
      states: [`${harbor}/group-state/web/state:latest`, `${harbor}/group-state/api/state:latest`],
      config: `${harbor}/config-state/default/state:latest`,
    });
    // Otherwise the same groups, in the same order, and the same config.
    expect(copy.json.states).toEqual(own.json.states?.map((url) => url.replace(PINNED, ":latest")));
    expect(copy.json.config).toBe(own.json.config?.replace(PINNED, ":latest"));
    // Another document, so another digest than the one Ground Control serves and reports; the same
    // image layout, and both tags name the same manifest.
    expect(copy.digest).not.toBe(res.state?.digest);
    expect(copy.mediaType).toBe(own.manifest.mediaType);
    expect(copy.config).toBeDefined();
    expect(inHarbor("edge-1", "1700000000").digest).toBe(copy.digest);
    expect(await harborCopyFlag("edge-1")).toBe(true);
    expect(harborDeletes).toEqual([]);
  });

  it("on: the Harbor copy's bytes change when the satellite's groups do, not when a group's or the config's content does; it is re-tagged at every publish", async () => {
    const first = await clients.on.publishSatelliteState({ satellite: "edge-3", ...STATE });
    const copy = inHarbor("edge-3");
    now += 5_000;
    const second = await clients.on.publishSatelliteState({
      satellite: "edge-3",
      ...STATE,
      groupDigests: { web: PIN("c") },
      configDigest: PIN("d"),
    });
    expect(second.state?.digest).not.toBe(first.state?.digest);
    expect((await served("edge-3")).json.states).toEqual([expect.stringMatching(new RegExp(`@${PIN("c")}$`))]);
    expect(inHarbor("edge-3").digest).toBe(copy.digest);
    expect(inHarbor("edge-3", "1700000005").digest).toBe(copy.digest);
    now += 5_000;
    await clients.on.publishSatelliteState({
      satellite: "edge-3",
      ...STATE,
      groups: ["web", "db"],
      groupDigests: { web: PIN("c"), db: PIN("f") },
    });
    const changed = inHarbor("edge-3");
    expect(changed.digest).not.toBe(copy.digest);
    expect(changed.json.states).toEqual([
      `${emu.url}/satellite/group-state/web/state:latest`,
      `${emu.url}/satellite/group-state/db/state:latest`,
    ]);
    expect(tagsInHarbor("edge-3")).toEqual(["1700000000", "1700000005", "1700000010", "latest"]);
  });

  it("on: keeps the copy an earlier Ground Control left in Harbor on the first store, and never deletes on later ones", async () => {
    pusher.manifests.set(`${REPO("legacy")}:1600000000`, {
      bytes: Buffer.from("{}"),
      mediaType: "application/vnd.docker.distribution.manifest.v2+json",
    });
    await clients.on.publishSatelliteState({ satellite: "legacy", ...STATE });
    now += 5_000;
    const second = await clients.on.publishSatelliteState({ satellite: "legacy", ...STATE, configDigest: PIN("c") });
    expect(harborDeletes).toEqual([]);
    expect(tagsInHarbor("legacy")).toEqual(["1600000000", "1700000000", "1700000005", "latest"]);
    expect(inHarbor("legacy").json).toEqual({
      states: [`${emu.url}/satellite/group-state/web/state:latest`],
      config: `${emu.url}/satellite/config-state/default/state:latest`,
    });
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
    pusher.manifests.set(`${REPO("fresh")}:1600000000`, {
      bytes: Buffer.from("{}"),
      mediaType: "application/vnd.docker.distribution.manifest.v2+json",
    });
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
      expect(
        await codeOf(
          clients[mode].getSatelliteStateArtifact({ satellite, target: { case: "manifest", value: "latest" } }),
        ),
      ).toBe(Code.NotFound);
    }
  });
});
