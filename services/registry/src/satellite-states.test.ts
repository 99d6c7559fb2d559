// Satellite states kept and served by Ground Control, through the registry service's generated
// client: stored in the database (never pushed to Harbor), read back by tag, timestamp tag and
// digest, refused to every satellite but their own, deleted with the satellite, and the copy an
// earlier Ground Control pushed to Harbor deleted on the first store.
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
import { createHarborClient, HarborError, type HarborClient } from "@harbor-satellite/harbor";
import { digestOf } from "@harbor-satellite/oci";
import { callerKey, errorMappingInterceptor, publicUrlKey, type Caller } from "@harbor-satellite/rpc";
import { createLogger } from "@harbor-satellite/telemetry";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createRegistryModule } from "./index.js";
import { buildStateImage, payloadFromLayer } from "@harbor-satellite/state-artifact";
import { createMemoryPusher, type MemoryPusher } from "./testing.js";

/** scrypt at N = 2^10 for the secrets these tests store (production: 2^15). */
const FAST = { ln: 10, r: 8, p: 1 };

const ADMIN = { username: "admin", password: "Harbor12345" };
const ADMIN_CALLER: Caller = { kind: "admin", username: "admin" };
const logger = createLogger({ name: "satellite-states-test", level: "silent" });
const PIN = (c: string) => `sha256:${c.repeat(64)}`;
const STATE = { groups: ["web"], groupDigests: { web: PIN("a") }, config: "default", configDigest: PIN("b") };

/** Sets the caller and public URL the gateway would have established, from test headers. */
const gatewayContext: Interceptor = (next) => (req) => {
  const caller = req.header.get("x-test-caller");
  req.contextValues.set(callerKey, caller ? (JSON.parse(caller) as Caller) : ADMIN_CALLER);
  const publicUrl = req.header.get("x-test-public-url");
  if (publicUrl) req.contextValues.set(publicUrlKey, publicUrl);
  return next(req);
};
const as = (caller: Caller) => ({ headers: { "x-test-caller": JSON.stringify(caller) } });
const satellite = (name: string): Caller => ({ kind: "satellite", name, via: "robot" });

async function failure(p: Promise<unknown>): Promise<ConnectError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectError);
  return error as ConnectError;
}

describe("satellite states kept by Ground Control", () => {
  let emu: HarborEmulator;
  let handle: DatabaseHandle;
  let pusher: MemoryPusher;
  let harborDeletes: string[];
  let harborDown: boolean;
  let now: number;
  const clients: Record<string, Client<typeof RegistryService>> = {};

  beforeAll(async () => {
    [emu, handle] = await Promise.all([
      startHarborEmulator({ adminUser: ADMIN.username, adminPassword: ADMIN.password }),
      openMemoryDatabase(),
    ]);
    const real = createHarborClient({ url: emu.url, ...ADMIN });
    // Records which Harbor repositories the service deletes, and can fail like an unreachable Harbor.
    const harborClient: HarborClient = {
      ...real,
      async deleteRepository(project, repo) {
        if (harborDown) throw new HarborError("DeleteRepository", 0, "NETWORK_ERROR", "connection refused");
        harborDeletes.push(`${project}/${repo}`);
        return real.deleteRepository(project, repo);
      },
    };
    pusher = createMemoryPusher();
    const make = (publicUrl?: string) => {
      const module = createRegistryModule({
        db: handle.db,
        harbor: { url: emu.url, ...ADMIN },
        harborClient,
        pusher,
        logger,
        publicUrl,
        now: () => new Date(now),
        secretHash: FAST,
      });
      return createClient(
        RegistryService,
        createRouterTransport(module.routes, { router: { interceptors: [errorMappingInterceptor(), gatewayContext] } }),
      );
    };
    clients.configured = make("http://10.0.0.5:8080");
    clients.derived = make();
  });
  beforeEach(() => {
    harborDeletes = [];
    harborDown = false;
    now = 1_700_000_000_000;
  });
  afterAll(async () => {
    await emu?.stop();
    await handle?.close();
  });

  const read = (name: string, target: { case: "manifest" | "blob"; value: string }, caller: Caller = ADMIN_CALLER) =>
    clients.configured.getSatelliteStateArtifact({ satellite: name, target }, as(caller));

  it("stores the artifact in the database, not in Harbor, and names Ground Control's URL for it", async () => {
    const res = await clients.configured.publishSatelliteState({ satellite: "edge-1", ...STATE });
    expect(res.state).toMatchObject({
      url: "http://10.0.0.5:8080/satellite/satellite-state/edge-1/state:latest",
      timestampTag: "1700000000",
    });
    expect([...pusher.manifests.keys()]).toEqual([]);
    const [row] = await handle.db.select().from(satelliteStateArtifacts);
    expect(row).toMatchObject({ satellite: "edge-1", manifestDigest: res.state?.digest, timestampTag: "1700000000" });
    // The bytes are exactly what the Harbor push would have carried (the original's layout).
    const expected = buildStateImage(
      JSON.stringify({
        states: [`${emu.url}/satellite/group-state/web/state@${PIN("a")}`],
        config: `${emu.url}/satellite/config-state/default/state@${PIN("b")}`,
      }),
    );
    expect(row.manifest.equals(expected.manifest)).toBe(true);
    expect(row.layer.equals(expected.layer.bytes)).toBe(true);
  });

  it("serves the manifest by latest, by its timestamp tag and by digest, and both blobs by digest", async () => {
    const { state } = await clients.configured.publishSatelliteState({ satellite: "edge-1", ...STATE });
    for (const reference of ["latest", "1700000000", state!.digest]) {
      const manifest = await read("edge-1", { case: "manifest", value: reference });
      expect(manifest.mediaType, reference).toBe("application/vnd.docker.distribution.manifest.v2+json");
      expect(manifest.digest).toBe(state!.digest);
      expect(manifest.tags).toEqual(["latest", "1700000000"]);
      expect(digestOf(manifest.content)).toBe(state!.digest);
    }
    const parsed = JSON.parse(
      Buffer.from((await read("edge-1", { case: "manifest", value: "latest" })).content).toString(),
    );
    const config = await read("edge-1", { case: "blob", value: parsed.config.digest });
    expect(config).toMatchObject({ mediaType: "application/octet-stream", digest: parsed.config.digest, tags: [] });
    expect(JSON.parse(Buffer.from(config.content).toString()).rootfs.diff_ids).toHaveLength(1);
    const layer = await read("edge-1", { case: "blob", value: parsed.layers[0].digest });
    expect(digestOf(layer.content)).toBe(parsed.layers[0].digest);
    const json = payloadFromLayer(Buffer.from(layer.content)) as { states: string[] };
    expect(json.states).toEqual([`${emu.url}/satellite/group-state/web/state@${PIN("a")}`]);
  });

  it("keeps only the current version: a republish with other content makes the old digest and tag unknown", async () => {
    const first = (await clients.configured.publishSatelliteState({ satellite: "edge-2", ...STATE })).state!;
    now += 5_000;
    const second = (
      await clients.configured.publishSatelliteState({ satellite: "edge-2", ...STATE, groupDigests: { web: PIN("c") } })
    ).state!;
    expect(second.digest).not.toBe(first.digest);
    expect(second.timestampTag).toBe("1700000005");
    expect((await read("edge-2", { case: "manifest", value: "latest" })).digest).toBe(second.digest);
    for (const gone of [first.digest, first.timestampTag])
      expect((await failure(read("edge-2", { case: "manifest", value: gone }))).code).toBe(Code.NotFound);
  });

  it("answers NotFound for unknown satellites, references and blobs, InvalidArgument for malformed ones", async () => {
    await clients.configured.publishSatelliteState({ satellite: "edge-1", ...STATE });
    expect((await failure(read("nobody", { case: "manifest", value: "latest" }))).rawMessage).toMatch(/nobody/);
    expect((await failure(read("nobody", { case: "manifest", value: "latest" }))).code).toBe(Code.NotFound);
    expect((await failure(read("edge-1", { case: "manifest", value: "v2" }))).code).toBe(Code.NotFound);
    expect((await failure(read("edge-1", { case: "blob", value: PIN("d") }))).code).toBe(Code.NotFound);
    expect((await failure(read("edge-1", { case: "blob", value: "latest" }))).code).toBe(Code.InvalidArgument);
    expect((await failure(read("edge-1", { case: "manifest", value: "a b" }))).code).toBe(Code.InvalidArgument);
    expect((await failure(clients.configured.getSatelliteStateArtifact({ satellite: "edge-1" }))).code).toBe(
      Code.InvalidArgument,
    );
    expect((await failure(read("Bad Name", { case: "manifest", value: "latest" }))).code).toBe(Code.InvalidArgument);
  });

  it("lets a satellite read its own state only; admins and services read any", async () => {
    await clients.configured.publishSatelliteState({ satellite: "edge-1", ...STATE });
    await clients.configured.publishSatelliteState({ satellite: "edge-2", ...STATE });
    expect((await read("edge-1", { case: "manifest", value: "latest" }, satellite("edge-1"))).digest).toMatch(
      /^sha256:/,
    );
    const denied = await failure(read("edge-2", { case: "manifest", value: "latest" }, satellite("edge-1")));
    expect(denied.code).toBe(Code.PermissionDenied);
    expect(denied.rawMessage).toBe('satellite "edge-1" may not read the state of satellite "edge-2"');
    // Blobs too: knowing a digest does not open another satellite's state.
    const manifest = JSON.parse(
      Buffer.from((await read("edge-2", { case: "manifest", value: "latest" })).content).toString(),
    );
    expect(
      (await failure(read("edge-2", { case: "blob", value: manifest.layers[0].digest }, satellite("edge-1")))).code,
    ).toBe(Code.PermissionDenied);
    expect((await failure(read("edge-2", { case: "manifest", value: "latest" }, { kind: "anonymous" }))).code).toBe(
      Code.Unauthenticated,
    );
    expect(
      (await read("edge-2", { case: "manifest", value: "latest" }, { kind: "service", spiffeId: "internal" })).digest,
    ).toMatch(/^sha256:/);
  });

  it("deletes the copy an earlier version left in Harbor on the first store only, and stores nothing while that fails", async () => {
    harborDown = true;
    expect((await failure(clients.configured.publishSatelliteState({ satellite: "upgraded", ...STATE }))).code).toBe(
      Code.Unavailable,
    );
    expect((await failure(read("upgraded", { case: "manifest", value: "latest" }))).code).toBe(Code.NotFound);
    harborDown = false;
    await clients.configured.publishSatelliteState({ satellite: "upgraded", ...STATE });
    expect(harborDeletes).toEqual(["satellite/satellite-state/upgraded/state"]);
    await clients.configured.publishSatelliteState({ satellite: "upgraded", ...STATE, configDigest: PIN("e") });
    expect(harborDeletes).toHaveLength(1);
  });

  it("deletes the stored state (and any Harbor copy) with DeleteState, idempotently", async () => {
    await clients.configured.publishSatelliteState({ satellite: "doomed", ...STATE });
    harborDeletes = [];
    await clients.configured.deleteState({ kind: StateKind.SATELLITE, name: "doomed" });
    expect((await failure(read("doomed", { case: "manifest", value: "latest" }))).code).toBe(Code.NotFound);
    expect(harborDeletes).toEqual(["satellite/satellite-state/doomed/state"]);
    await clients.configured.deleteState({ kind: StateKind.SATELLITE, name: "doomed" });
    expect(
      await handle.db
        .select()
        .from(satelliteStateArtifacts)
        .then((rows) => rows.map((r) => r.satellite)),
    ).not.toContain("doomed");
  });

  it("without GROUND_CONTROL_URL names the URL the request reached Ground Control at, or none for its own calls", async () => {
    const viaGateway = await clients.derived.publishSatelliteState(
      { satellite: "edge-3", ...STATE },
      { headers: { "x-test-public-url": "https://gc.internal:8443" } },
    );
    expect(viaGateway.state?.url).toBe("https://gc.internal:8443/satellite/satellite-state/edge-3/state:latest");
    const internal = await clients.derived.publishSatelliteState({ satellite: "edge-3", ...STATE });
    expect(internal.state).toMatchObject({ url: "", digest: viaGateway.state?.digest });
  });
});
