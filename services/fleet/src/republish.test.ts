// RepublishSatelliteStates: queues one publish-satellite-state outbox row per satellite (all, or
// the named ones), coalescing with rows already pending, and the publisher then writes each state
// again. Harbor is held "down" while the rows are inspected, so the publisher cannot finish them.
import { Code, createClient, createRouterTransport, type Client } from "@connectrpc/connect";
import { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { openMemoryDatabase, outbox, type DatabaseHandle } from "@harbor-satellite/db";
import { errorMappingInterceptor } from "@harbor-satellite/rpc";
import { createLogger } from "@harbor-satellite/telemetry";
import { asc } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createFleetModule, type FleetModule } from "./index.js";
import { enqueue } from "./store/outbox-store.js";
import { createFakeRegistry, failure, type FakeRegistry } from "./testing.js";

const logger = createLogger({ name: "republish-test", level: "silent" });
const image = { repository: "library/nginx", tags: ["1"], digest: "", type: "" };

describe("RepublishSatelliteStates", () => {
  let handle: DatabaseHandle;
  let registry: FakeRegistry;
  let module: FleetModule;
  let fleet: Client<typeof FleetService>;

  /** Outbox rows as "<kind> <subject> r<revision>", in insertion order. */
  const rows = async () =>
    (
      await handle.db
        .select({ kind: outbox.kind, subject: outbox.subject, revision: outbox.revision })
        .from(outbox)
        .orderBy(asc(outbox.id))
    ).map((r) => `${r.kind} ${r.subject} r${r.revision}`);
  const pendingSubjects = async () => (await module.store.outbox.pending()).map((p) => `${p.kind} ${p.subject}`).sort();
  const satellitePublishes = () => registry.calls.filter((c) => c.startsWith("publishSatelliteState")).sort();
  /** Brings Harbor back and waits until the publisher has drained the outbox. */
  const drain = async () => {
    registry.down = false;
    await vi.waitFor(
      async () => {
        await module.publisher.flush();
        expect(await module.store.outbox.pending()).toEqual([]);
      },
      { timeout: 5_000, interval: 20 },
    );
  };

  beforeAll(async () => {
    handle = await openMemoryDatabase();
    registry = createFakeRegistry();
    module = createFleetModule({
      db: handle.db,
      registry: registry.client,
      logger,
      publisher: { baseDelayMs: 10, maxDelayMs: 40, random: () => 1 },
    });
    fleet = createClient(
      FleetService,
      createRouterTransport(module.routes, { router: { interceptors: [errorMappingInterceptor()] } }),
    );
    await module.ready();
    await fleet.createGroup({ group: "web", artifacts: [image] });
    await fleet.createSatellite({ satellite: "s1", groups: ["web"] });
    await fleet.createSatellite({ satellite: "s2" });
    await fleet.createSatellite({ satellite: "s3", groups: ["web"] });
  });
  beforeEach(async () => {
    await drain();
    registry.calls.length = 0;
    // Harbor unreachable: queued rows stay in the outbox until drain().
    registry.down = true;
  });
  afterAll(async () => {
    await module?.stop?.();
    await handle?.close();
  });

  it("queues every satellite's state when no satellite is named, and the publisher writes them again", async () => {
    const before = ["s1", "s2", "s3"].map((s) => registry.satelliteStates.get(s));
    expect(await fleet.republishSatelliteStates({})).toMatchObject({ queuedCount: 3 });
    expect(await pendingSubjects()).toEqual([
      "publish-satellite-state s1",
      "publish-satellite-state s2",
      "publish-satellite-state s3",
    ]);
    await drain();
    expect(satellitePublishes()).toEqual([
      "publishSatelliteState s1",
      "publishSatelliteState s2",
      "publishSatelliteState s3",
    ]);
    // Nothing else was asked of Harbor: no robots, no group or config states.
    expect(registry.calls).toHaveLength(3);
    expect(["s1", "s2", "s3"].map((s) => registry.satelliteStates.get(s))).toEqual(before);
  });

  it("queues only the named satellites", async () => {
    expect(await fleet.republishSatelliteStates({ satellites: ["s3", "s1"] })).toMatchObject({ queuedCount: 2 });
    expect(await pendingSubjects()).toEqual(["publish-satellite-state s1", "publish-satellite-state s3"]);
    await drain();
    expect(satellitePublishes()).toEqual(["publishSatelliteState s1", "publishSatelliteState s3"]);
  });

  it("answers NotFound naming an unknown satellite and queues nothing, not even for the known ones", async () => {
    expect(await failure(fleet.republishSatelliteStates({ satellites: ["s1", "ghost"] }))).toEqual({
      code: Code.NotFound,
      message: 'satellite "ghost" not found',
    });
    expect(await module.store.outbox.pending()).toEqual([]);
  });

  it("answers InvalidArgument for invalid names, naming the field", async () => {
    const cases: Array<[string[], string]> = [
      [["s1", "Bad Name"], 'satellites[1] "Bad Name" is invalid'],
      [[""], "satellites[0] is required"],
      [["x".repeat(256)], "satellites[0] is 256 characters"],
    ];
    for (const [satellites, text] of cases) {
      const err = await failure(fleet.republishSatelliteStates({ satellites }));
      expect(err.code, text).toBe(Code.InvalidArgument);
      expect(err.message).toContain(text);
    }
    expect(await module.store.outbox.pending()).toEqual([]);
  });

  it("counts a name given twice once and coalesces with a publish already queued", async () => {
    await enqueue(handle.db, [{ kind: "publish-satellite-state", subject: "s2" }]);
    expect(await rows()).toEqual(["publish-satellite-state s2 r0"]);
    expect(await fleet.republishSatelliteStates({ satellites: ["s2", "s1", "s2"] })).toMatchObject({ queuedCount: 2 });
    // One row per satellite: the pending one for s2 is asked again (its revision moves), not repeated.
    expect(await rows()).toEqual(["publish-satellite-state s2 r1", "publish-satellite-state s1 r0"]);
    await fleet.republishSatelliteStates({});
    expect(await pendingSubjects()).toEqual([
      "publish-satellite-state s1",
      "publish-satellite-state s2",
      "publish-satellite-state s3",
    ]);
    await drain();
    expect(satellitePublishes()).toEqual([
      "publishSatelliteState s1",
      "publishSatelliteState s2",
      "publishSatelliteState s3",
    ]);
  });
});
