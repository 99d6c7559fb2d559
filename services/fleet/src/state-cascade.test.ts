// Satellite states pin group and config states by digest: a group or config published with a new
// digest republishes the satellite states listing it, an unchanged one does not, and the order in
// which outbox rows run does not matter.
import { createClient, createRouterTransport, type Client } from "@connectrpc/connect";
import { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { groups, openMemoryDatabase, type DatabaseHandle } from "@harbor-satellite/db";
import { errorMappingInterceptor } from "@harbor-satellite/rpc";
import { createLogger } from "@harbor-satellite/telemetry";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createFleetModule, type FleetModule } from "./index.js";
import { runJob, StateNotPublishedError } from "./publish-jobs.js";
import { enqueue } from "./store/outbox-store.js";
import { createFakeRegistry, type FakeRegistry } from "./testing.js";

const logger = createLogger({ name: "cascade-test", level: "silent" });
const image = (tag: string) => ({ repository: "library/nginx", tags: [tag], digest: "", type: "" });
const job = (kind: "publish-group-state" | "publish-satellite-state", subject: string) => ({
  id: 0,
  kind,
  subject,
  revision: 0,
  attempts: 1,
});

describe("satellite states follow the digests of their groups and config", () => {
  let handle: DatabaseHandle;
  let registry: FakeRegistry;
  let module: FleetModule;
  let fleet: Client<typeof FleetService>;

  const satellitePublishes = () => registry.calls.filter((c) => c.startsWith("publishSatelliteState")).sort();

  beforeAll(async () => {
    handle = await openMemoryDatabase();
    registry = createFakeRegistry();
    module = createFleetModule({
      db: handle.db,
      registry: registry.client,
      logger,
      publisher: { baseDelayMs: 10, maxDelayMs: 40 },
    });
    fleet = createClient(
      FleetService,
      createRouterTransport(module.routes, { router: { interceptors: [errorMappingInterceptor()] } }),
    );
    await module.ready();
    await fleet.createConfig({ config: "edge-config", configJson: '{"app_config":{"log_level":"info"}}' });
    await fleet.createGroup({ group: "web", artifacts: [image("1")] });
    await fleet.createGroup({ group: "db", artifacts: [image("db-1")] });
    await fleet.createSatellite({ satellite: "s1", groups: ["web"] });
    await fleet.createSatellite({ satellite: "s2", groups: ["web", "db"], config: "edge-config" });
    await fleet.createSatellite({ satellite: "s3", groups: ["db"] });
    await module.publisher.flush();
  });
  beforeEach(async () => {
    await module.publisher.flush();
    expect(await module.store.outbox.pending()).toEqual([]);
    registry.calls.length = 0;
  });
  afterAll(async () => {
    await module?.stop?.();
    await handle?.close();
  });

  it("pins every satellite state to the digests its groups and config were published with", () => {
    expect(registry.satellitePins.get("s2")).toEqual({
      groups: { db: registry.digests.get("group db"), web: registry.digests.get("group web") },
      config: registry.digests.get("config edge-config"),
    });
    expect(registry.satellitePins.get("s1")?.config).toBe(registry.digests.get("config default"));
  });

  it("republishes the satellite states of a group's satellites when its content changes, and only theirs", async () => {
    const before = registry.digests.get("group web");
    const s1Before = registry.digests.get("satellite s1");
    await fleet.updateGroup({ group: "web", artifacts: [image("2")] });
    await module.publisher.flush();
    const after = registry.digests.get("group web");
    expect(after).not.toBe(before);
    expect(satellitePublishes()).toEqual(["publishSatelliteState s1", "publishSatelliteState s2"]);
    expect(registry.satellitePins.get("s1")?.groups).toEqual({ web: after });
    expect(registry.satellitePins.get("s2")?.groups.web).toBe(after);
    expect(registry.digests.get("satellite s1")).not.toBe(s1Before);
  });

  it("does not cascade when a group is republished with unchanged content (same digest)", async () => {
    const digest = registry.digests.get("group web");
    await enqueue(handle.db, [{ kind: "publish-group-state", subject: "web" }]);
    // An update that leaves the artifacts as they were publishes the same bytes too.
    await fleet.updateGroup({ group: "web", artifacts: [image("2")] });
    await module.publisher.flush();
    expect(registry.calls).toEqual(["publishGroupState web"]);
    expect(registry.digests.get("group web")).toBe(digest);
  });

  it("republishes the satellite states using a config when it changes, and only theirs", async () => {
    await fleet.updateConfig({
      config: "edge-config",
      change: { case: "mergePatchJson", value: '{"app_config":{"log_level":"debug"}}' },
    });
    await module.publisher.flush();
    expect(satellitePublishes()).toEqual(["publishSatelliteState s2"]);
    expect(registry.satellitePins.get("s2")?.config).toBe(registry.digests.get("config edge-config"));
  });

  it("makes a satellite state wait for a group never published, then publishes it pinned (satellite row first)", async () => {
    await fleet.createGroup({ group: "late", artifacts: [image("late")] });
    await fleet.assignGroup({ satellite: "s3", group: "late" });
    // The satellite job runs before the group's: it refuses to write an unpinned URL.
    await expect(runJob(job("publish-satellite-state", "s3"), module.store, registry.client)).rejects.toBeInstanceOf(
      StateNotPublishedError,
    );
    expect(registry.satellitePins.get("s3")?.groups).toEqual({ db: registry.digests.get("group db") });
    // The group's publish records its digest and queues the satellite again.
    expect(await runJob(job("publish-group-state", "late"), module.store, registry.client)).toMatch(
      /satellite states queued: s3$/,
    );
    await module.publisher.flush();
    expect(registry.satellitePins.get("s3")?.groups).toEqual({
      db: registry.digests.get("group db"),
      late: registry.digests.get("group late"),
    });
  });

  it("never records the digest of content the group no longer holds (a slow, overtaken publish)", async () => {
    const current = registry.digests.get("group web");
    const stale = `sha256:${"f".repeat(64)}`;
    expect(await module.store.recordGroupState("web", [image("1")], stale)).toEqual([]);
    const [row] = await handle.db
      .select({ stateDigest: groups.stateDigest })
      .from(groups)
      .where(eq(groups.name, "web"));
    expect(row.stateDigest).toBe(current);
    expect(await module.store.outbox.pending()).toEqual([]);
  });

  it("queues every group never published when the module gets ready (after an upgrade)", async () => {
    const s2 = registry.digests.get("satellite s2");
    await handle.db.update(groups).set({ stateDigest: null }).where(eq(groups.name, "db"));
    const restarted = createFleetModule({ db: handle.db, registry: registry.client, logger });
    await restarted.ready();
    expect((await module.store.outbox.pending()).map((p) => `${p.kind} ${p.subject}`)).toEqual([
      "publish-group-state db",
    ]);
    await module.publisher.flush();
    // Recording a digest where there was none cascades; the content is the same, so the
    // satellite states come out byte for byte as before.
    expect(satellitePublishes()).toEqual(["publishSatelliteState s2", "publishSatelliteState s3"]);
    expect(registry.digests.get("satellite s2")).toBe(s2);
  });
});
