// The registry service through its generated client (in-memory transport with the gateway's error
// mapping) against the Harbor emulator's REST API and an in-memory registry for pushes.
import {
  Code,
  ConnectError,
  createClient,
  createRouterTransport,
  type Client,
  type Interceptor,
} from "@connectrpc/connect";
import { RegistryService, StateKind } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import { configs, openMemoryDatabase, robotAccounts, satellites, type DatabaseHandle } from "@harbor-satellite/db";
import { createHarborClient } from "@harbor-satellite/harbor";
import { callerKey, errorMappingInterceptor, verifySecret } from "@harbor-satellite/rpc";
import { createLogger } from "@harbor-satellite/telemetry";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { payloadFromLayer } from "@harbor-satellite/state-artifact";
import { createRegistryModule } from "./index.js";
import { createMemoryPusher, type MemoryPusher } from "./testing.js";

const ADMIN = { username: "admin", password: "Harbor12345" };
const GC_URL = "https://gc.example.com";
const logger = createLogger({ name: "registry-test", level: "silent" });
/** scrypt at N = 2^10 for the secrets these tests store (production: 2^15). */
const FAST = { ln: 10, r: 8, p: 1 };

async function codeOf(p: Promise<unknown>): Promise<{ code: Code; message: string }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectError);
  return { code: (err as ConnectError).code, message: (err as ConnectError).rawMessage };
}

describe("registry service", () => {
  let emu: HarborEmulator;
  let handle: DatabaseHandle;
  let pusher: MemoryPusher;
  let client: Client<typeof RegistryService>;
  let configId: number;

  beforeAll(async () => {
    [emu, handle] = await Promise.all([
      startHarborEmulator({ adminUser: ADMIN.username, adminPassword: ADMIN.password }),
      openMemoryDatabase(),
    ]);
    pusher = createMemoryPusher();
    const module = createRegistryModule({
      db: handle.db,
      harbor: { url: emu.url, ...ADMIN },
      pusher,
      logger,
      robotDurationDays: 30,
      publicUrl: `${GC_URL}/`,
      now: () => new Date(1_700_000_000_000),
      secretHash: FAST,
    });
    // As the gateway would: these calls come from an admin.
    const asAdmin: Interceptor = (next) => (req) => {
      req.contextValues.set(callerKey, { kind: "admin", username: "admin" });
      return next(req);
    };
    client = createClient(
      RegistryService,
      createRouterTransport(module.routes, { router: { interceptors: [errorMappingInterceptor(), asAdmin] } }),
    );
    [{ id: configId }] = await handle.db.insert(configs).values({ name: "default", config: {} }).returning();
    await createHarborClient({ url: emu.url, ...ADMIN }).ensureProject("apps", { public: false });
  });
  afterEach(() => expect(emu.violations()).toEqual([]));
  afterAll(async () => {
    await emu?.stop();
    await handle?.close();
  });

  const addSatellite = async (name: string) => handle.db.insert(satellites).values({ name, configId });
  const harborRobot = (name: string) => [...emu.state.robots.values()].find((r) => r.name === name);

  it("creates a system robot with read/pull on exactly the given projects plus satellite, in a private satellite project", async () => {
    await addSatellite("edge-1");
    const res = await client.ensureRobot({ satellite: "edge-1", projects: ["library", "apps", "library"] });
    expect(res.robot).toMatchObject({
      satellite: "edge-1",
      name: "robot$edge-1",
      projects: ["apps", "library", "satellite"],
    });
    expect(res.robot?.expireTime).toBeDefined();
    expect(res.secret).not.toBe("");

    const robot = harborRobot("edge-1");
    expect(robot).toMatchObject({
      level: "system",
      description: "managed by ground-control should not edit",
      secret: res.secret,
    });
    expect(robot?.permissions.map((p) => p.namespace).sort()).toEqual(["apps", "library", "satellite"]);
    for (const p of robot?.permissions ?? []) {
      expect(p.kind).toBe("project");
      expect(p.access?.map((a) => `${a.resource}:${a.action}`).sort()).toEqual([
        "artifact:read",
        "repository:pull",
        "repository:read",
      ]);
    }
    expect(emu.state.projects.get("satellite")?.public).toBe(false);

    const [row] = await handle.db.select().from(robotAccounts).where(eq(robotAccounts.robotName, "robot$edge-1"));
    expect(row.secretHash).not.toContain(res.secret);
    expect(await verifySecret(res.secret, row.secretHash)).toBe(true);
  });

  it("updates the permissions of an existing robot without handing out a secret again", async () => {
    const res = await client.ensureRobot({ satellite: "edge-1", projects: ["apps"] });
    expect(res.secret).toBe("");
    expect(res.robot?.projects).toEqual(["apps", "satellite"]);
    expect(
      harborRobot("edge-1")
        ?.permissions.map((p) => p.namespace)
        .sort(),
    ).toEqual(["apps", "satellite"]);
    expect((await client.getRobot({ satellite: "edge-1" })).robot?.projects).toEqual(["apps", "satellite"]);
  });

  it("grants the projects Harbor has and fails with FailedPrecondition naming the missing ones", async () => {
    const err = await codeOf(client.ensureRobot({ satellite: "edge-1", projects: ["apps", "nowhere"] }));
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(err.message).toContain('"nowhere"');
    expect(
      harborRobot("edge-1")
        ?.permissions.map((p) => p.namespace)
        .sort(),
    ).toEqual(["apps", "satellite"]);
  });

  it("rotates the secret through Harbor and keeps only its hash", async () => {
    const before = harborRobot("edge-1")?.secret;
    const res = await client.rotateRobotSecret({ satellite: "edge-1" });
    expect(res.secret).not.toBe(before);
    expect(harborRobot("edge-1")?.secret).toBe(res.secret);
    const [row] = await handle.db.select().from(robotAccounts).where(eq(robotAccounts.robotName, "robot$edge-1"));
    expect(await verifySecret(res.secret, row.secretHash)).toBe(true);
  });

  it("refuses a robot name taken by a Harbor robot Ground Control did not create", async () => {
    await addSatellite("taken");
    emu.state.addRobot({
      name: "taken",
      description: "someone else's",
      level: "system",
      duration: -1,
      disabled: false,
      expiresAt: -1,
      permissions: [],
      projectId: 0,
    });
    const err = await codeOf(client.ensureRobot({ satellite: "taken", projects: [] }));
    expect(err.code).toBe(Code.AlreadyExists);
    expect(err.message).toContain('"robot$taken"');
  });

  it("adopts a robot Ground Control made earlier whose row is gone (e.g. made by the Go original), with a fresh secret", async () => {
    await addSatellite("legacy");
    const old = emu.state.addRobot({
      name: "legacy",
      description: "managed by ground-control should not edit",
      level: "system",
      duration: -1,
      disabled: false,
      expiresAt: -1,
      permissions: [{ kind: "project", namespace: "library", access: [{ resource: "repository", action: "pull" }] }],
      projectId: 0,
    });
    const oldSecret = old.secret;
    const res = await client.ensureRobot({ satellite: "legacy", projects: ["apps"] });
    expect(res.robot?.harborId).toBe(BigInt(old.id));
    expect(res.secret).not.toBe(oldSecret);
    expect(emu.state.robots.get(old.id)?.secret).toBe(res.secret);
    expect(
      emu.state.robots
        .get(old.id)
        ?.permissions.map((p) => p.namespace)
        .sort(),
    ).toEqual(["apps", "satellite"]);
    expect(res.robot?.expireTime).toBeUndefined();
  });

  it("re-creates a robot that was deleted in Harbor behind Ground Control's back", async () => {
    await addSatellite("edge-2");
    const first = await client.ensureRobot({ satellite: "edge-2", projects: [] });
    emu.state.robots.delete(Number(first.robot?.harborId));
    const second = await client.ensureRobot({ satellite: "edge-2", projects: ["apps"] });
    expect(second.secret).not.toBe("");
    expect(second.robot?.harborId).not.toBe(first.robot?.harborId);
  });

  it("deletes a robot, also after its satellite row is gone, and is idempotent", async () => {
    await addSatellite("edge-3");
    await client.ensureRobot({ satellite: "edge-3", projects: [] });
    await handle.db.delete(satellites).where(eq(satellites.name, "edge-3"));
    await client.deleteRobot({ satellite: "edge-3" });
    expect(harborRobot("edge-3")).toBeUndefined();
    await client.deleteRobot({ satellite: "edge-3" });
    expect((await codeOf(client.getRobot({ satellite: "edge-3" }))).code).toBe(Code.NotFound);
  });

  it("answers NotFound for unknown satellites and InvalidArgument for bad names", async () => {
    expect((await codeOf(client.ensureRobot({ satellite: "nobody", projects: [] }))).code).toBe(Code.NotFound);
    expect((await codeOf(client.rotateRobotSecret({ satellite: "nobody" }))).code).toBe(Code.NotFound);
    const bad = await codeOf(client.ensureRobot({ satellite: "Bad Name", projects: [] }));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(bad.message).toContain("satellite");
    expect((await codeOf(client.ensureRobot({ satellite: "edge-1", projects: ["No/Such"] }))).code).toBe(
      Code.InvalidArgument,
    );
  });

  it("publishes group state as the original's image layout with tags latest and the unix time", async () => {
    const res = await client.publishGroupState({
      group: "web",
      artifacts: [{ repository: "library/nginx", tags: ["1.27"], digest: "", type: "" }],
    });
    expect(res.state).toMatchObject({
      url: `${emu.url}/satellite/group-state/web/state:latest`,
      timestampTag: "1700000000",
    });
    const latest = pusher.manifests.get("satellite/group-state/web/state:latest");
    expect(latest?.mediaType).toBe("application/vnd.docker.distribution.manifest.v2+json");
    expect(
      pusher.manifests
        .get("satellite/group-state/web/state:1700000000")
        ?.bytes.equals(latest?.bytes ?? Buffer.alloc(0)),
    ).toBe(true);
    const manifest = JSON.parse(latest?.bytes.toString() ?? "{}");
    const layer = pusher.blobs.get(manifest.layers[0].digest) ?? Buffer.alloc(0);
    const json = payloadFromLayer(layer);
    expect(json).toEqual({
      group: "web",
      registry: emu.url,
      artifacts: [{ repository: "library/nginx", tag: ["1.27"], type: "image" }],
    });
  });

  it("publishes config state, and satellite state listing group and config states pinned by digest", async () => {
    const cfg = await client.publishConfigState({
      config: "default",
      configJson: '{"app_config":{"log_level":"info"}}',
    });
    expect(cfg.state?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const web = await client.publishGroupState({
      group: "web",
      artifacts: [{ repository: "library/nginx", tags: ["1.27"], digest: "", type: "" }],
    });
    const pins = {
      groups: ["web"],
      groupDigests: { web: web.state?.digest ?? "" },
      config: "default",
      configDigest: cfg.state?.digest ?? "",
    };
    const sat = await client.publishSatelliteState({ satellite: "edge-1", ...pins });
    // Served by Ground Control (its configured URL), never pushed to Harbor.
    expect(sat.state?.url).toBe(`${GC_URL}/satellite/satellite-state/edge-1/state:latest`);
    expect([...pusher.manifests.keys()].filter((k) => k.includes("satellite-state"))).toEqual([]);
    const read = (target: { case: "manifest" | "blob"; value: string }) =>
      client.getSatelliteStateArtifact({ satellite: "edge-1", target });
    const manifest = JSON.parse(Buffer.from((await read({ case: "manifest", value: "latest" })).content).toString());
    const layer = Buffer.from((await read({ case: "blob", value: manifest.layers[0].digest })).content);
    const json = payloadFromLayer(layer);
    expect(json).toEqual({
      states: [`${emu.url}/satellite/group-state/web/state@${web.state?.digest}`],
      config: `${emu.url}/satellite/config-state/default/state@${cfg.state?.digest}`,
    });
    // The same pins give the same bytes; a new group digest gives a new satellite-state digest.
    expect((await client.publishSatelliteState({ satellite: "edge-1", ...pins })).state?.digest).toBe(
      sat.state?.digest,
    );
    const moved = await client.publishSatelliteState({
      satellite: "edge-1",
      ...pins,
      groupDigests: { web: `sha256:${"e".repeat(64)}` },
    });
    expect(moved.state?.digest).not.toBe(sat.state?.digest);
    // Never an unpinned URL: a missing or malformed digest is refused.
    for (const bad of [
      { ...pins, groupDigests: {} },
      { ...pins, configDigest: "" },
      { ...pins, groupDigests: { web: "latest" } },
    ]) {
      expect((await codeOf(client.publishSatelliteState({ satellite: "edge-1", ...bad }))).code).toBe(
        Code.InvalidArgument,
      );
    }
    expect((await codeOf(client.publishConfigState({ config: "default", configJson: "[1]" }))).code).toBe(
      Code.InvalidArgument,
    );
    expect(
      (
        await codeOf(
          client.publishGroupState({
            group: "web",
            artifacts: [{ repository: "nginx", tags: ["1"], digest: "", type: "" }],
          }),
        )
      ).code,
    ).toBe(Code.InvalidArgument);
  });

  it("takes the config by its deprecated config_name until v0.3, and refuses config and config_name disagreeing", async () => {
    const json = '{"app_config":{"log_level":"info"}}';
    const byOldName = await client.publishConfigState({ configName: "old-clients", configJson: json });
    expect(byOldName.state?.url).toBe(`${emu.url}/satellite/config-state/old-clients/state:latest`);
    const pins = { groups: [], groupDigests: {}, configDigest: byOldName.state?.digest ?? "" };
    const old = await client.publishSatelliteState({ satellite: "edge-old", ...pins, configName: "old-clients" });
    // The same state by either name, or both agreeing, is the same artifact.
    expect(
      (await client.publishSatelliteState({ satellite: "edge-old", ...pins, config: "old-clients" })).state?.digest,
    ).toBe(old.state?.digest);
    expect(
      (
        await client.publishSatelliteState({
          satellite: "edge-old",
          ...pins,
          config: "old-clients",
          configName: "old-clients",
        })
      ).state?.digest,
    ).toBe(old.state?.digest);
    const disagree =
      'config "a" and config_name "b" disagree: config_name is the deprecated name of config (accepted until v0.3); send config only';
    expect(await codeOf(client.publishConfigState({ config: "a", configName: "b", configJson: json }))).toEqual({
      code: Code.InvalidArgument,
      message: disagree,
    });
    expect(
      await codeOf(client.publishSatelliteState({ satellite: "edge-old", ...pins, config: "a", configName: "b" })),
    ).toEqual({ code: Code.InvalidArgument, message: disagree });
  });

  it("deletes state repositories idempotently and rejects an unset kind", async () => {
    await client.deleteState({ kind: StateKind.GROUP, name: "web" });
    await client.deleteState({ kind: StateKind.GROUP, name: "never-was" });
    expect((await codeOf(client.deleteState({ kind: StateKind.UNSPECIFIED, name: "web" }))).code).toBe(
      Code.InvalidArgument,
    );
  });

  it("reports Harbor health and the state project", async () => {
    expect(await client.getRegistryInfo({})).toMatchObject({
      harborUrl: emu.url,
      stateProject: "satellite",
      healthy: true,
    });
  });

  it("answers Unavailable when Harbor cannot be reached, and reports it unhealthy", async () => {
    const down = createRegistryModule({
      db: handle.db,
      harbor: { url: "http://127.0.0.1:9", ...ADMIN },
      harborClient: createHarborClient({ url: "http://127.0.0.1:9", ...ADMIN }),
      pusher: createMemoryPusher(),
      logger,
    });
    const downClient = createClient(
      RegistryService,
      createRouterTransport(down.routes, { router: { interceptors: [errorMappingInterceptor()] } }),
    );
    expect((await codeOf(downClient.ensureRobot({ satellite: "edge-1", projects: [] }))).code).toBe(Code.Unavailable);
    expect((await codeOf(downClient.publishGroupState({ group: "web", artifacts: [] }))).code).toBe(Code.Unavailable);
    expect((await downClient.getRegistryInfo({})).healthy).toBe(false);
  });
});
