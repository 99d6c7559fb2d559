// The outbox publisher: nothing lost while Harbor is down, requests coalesced per subject, a
// request that arrives mid-publish published again, leases keeping two publishers apart.
import { createClient, createRouterTransport, type Client } from "@connectrpc/connect";
import { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { openMemoryDatabase, outbox, type DatabaseHandle } from "@harbor-satellite/db";
import { errorMappingInterceptor } from "@harbor-satellite/rpc";
import { createLogger } from "@harbor-satellite/telemetry";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createFleetModule, type FleetModule } from "./index.js";
import { delayFor } from "@harbor-satellite/retry";
import { outboxRetryPolicy } from "./publisher.js";
import type { RegistryClient } from "./publish-jobs.js";
import { enqueue } from "./store/outbox-store.js";
import { createFakeRegistry, type FakeRegistry } from "./testing.js";

const logger = createLogger({ name: "publisher-test", level: "silent" });
const image = (tag: string) => ({ repository: "library/nginx", tags: [tag], digest: "", type: "" });

describe("outbox publisher", () => {
  let handle: DatabaseHandle;
  let registry: FakeRegistry;
  let module: FleetModule;
  let fleet: Client<typeof FleetService>;

  beforeAll(async () => {
    handle = await openMemoryDatabase();
    registry = createFakeRegistry();
    module = createFleetModule({
      db: handle.db,
      registry: registry.client,
      logger,
      publisher: { baseDelayMs: 20, maxDelayMs: 80, pollIntervalMs: 25, random: () => 1 },
    });
    fleet = createClient(
      FleetService,
      createRouterTransport(module.routes, { router: { interceptors: [errorMappingInterceptor()] } }),
    );
    await module.ready();
    await module.publisher.flush();
  });
  beforeEach(() => {
    registry.down = false;
  });
  afterAll(async () => {
    await module?.stop?.();
    await handle?.close();
  });

  it("keeps the work while Harbor is down and publishes the latest state once it is back", async () => {
    registry.down = true;
    await fleet.createGroup({ group: "g1", artifacts: [image("1")] });
    await fleet.createSatellite({ satellite: "s1", groups: ["g1"] });
    await module.publisher.flush();
    const pending = await module.store.outbox.pending();
    expect(pending.map((p) => `${p.kind} ${p.subject}`).sort()).toEqual([
      "publish-group-state g1",
      "publish-satellite-state s1",
      "sync-robot s1",
    ]);
    expect(pending.every((p) => p.attempts >= 1)).toBe(true);
    // The satellite state waits for its group's first digest; the others failed on Harbor.
    expect(Object.fromEntries(pending.map((p) => [p.kind, p.lastError]))).toEqual({
      "publish-group-state": "[unavailable] Harbor is unreachable",
      "sync-robot": "[unavailable] Harbor is unreachable",
      "publish-satellite-state": "satellite state of s1 waits for the first publish of group g1",
    });

    // More changes while down coalesce into the same rows.
    await fleet.updateGroup({ group: "g1", artifacts: [image("2")] });
    await fleet.updateGroup({ group: "g1", artifacts: [image("3")] });
    expect((await module.store.outbox.pending()).filter((p) => p.subject === "g1")).toHaveLength(1);

    registry.down = false;
    await vi.waitFor(
      async () => {
        await module.publisher.flush();
        expect(await module.store.outbox.pending()).toEqual([]);
      },
      { timeout: 5_000, interval: 30 },
    );
    expect(registry.groupStates.get("g1")?.artifacts[0].tags).toEqual(["3"]);
    expect(registry.satelliteStates.get("s1")).toEqual({ groups: ["g1"], configName: "default" });
    expect(registry.satellitePins.get("s1")).toEqual({
      groups: { g1: registry.digests.get("group g1") },
      config: registry.digests.get("config default"),
    });
    expect(registry.robots.get("s1")).toEqual(["library"]);
    expect(registry.calls.filter((c) => c === "publishGroupState g1")).toHaveLength(1);
  });

  it("publishes again when a request arrives while its subject is being published", async () => {
    await enqueue(handle.db, [{ kind: "publish-group-state", subject: "g1" }]);
    const [job] = await module.store.outbox.claim(10, 60_000);
    expect(job).toMatchObject({ kind: "publish-group-state", subject: "g1" });
    // Leased: another publisher finds nothing to do.
    expect(await module.store.outbox.claim(10, 60_000)).toEqual([]);
    await enqueue(handle.db, [{ kind: "publish-group-state", subject: "g1" }]);
    await module.store.outbox.complete(job);
    const [again] = await module.store.outbox.claim(10, 60_000);
    expect(again).toMatchObject({ id: job.id, revision: job.revision + 1 });
    await module.store.outbox.complete(again);
    expect(await module.store.outbox.pending()).toEqual([]);
  });

  it("retries at once when a failed publish was overtaken by a newer request, after backoff otherwise", async () => {
    await enqueue(handle.db, [{ kind: "publish-config-state", subject: "default" }]);
    const [job] = await module.store.outbox.claim(10, 60_000);
    await module.store.outbox.fail(job, "boom", 60_000);
    expect(await module.store.outbox.claim(10, 60_000)).toEqual([]);
    await enqueue(handle.db, [{ kind: "publish-config-state", subject: "default" }]);
    const [next] = await module.store.outbox.claim(10, 60_000);
    expect(next.revision).toBe(job.revision + 1);
    await enqueue(handle.db, [{ kind: "publish-config-state", subject: "default" }]);
    await module.store.outbox.fail(next, "boom again", 60_000);
    const [third] = await module.store.outbox.claim(10, 60_000);
    expect(third.attempts).toBe(3);
    await module.store.outbox.complete(third);
  });

  it("lets another publisher take over a row whose lease ran out", async () => {
    await enqueue(handle.db, [{ kind: "sync-robot", subject: "s1" }]);
    const [job] = await module.store.outbox.claim(10, 1);
    await vi.waitFor(
      async () => expect((await module.store.outbox.claim(10, 60_000)).map((j) => j.id)).toEqual([job.id]),
      { timeout: 2_000, interval: 10 },
    );
    await handle.db.delete(outbox);
  });

  it("runs in the background once started: a change is published without anyone flushing", async () => {
    module.start?.();
    await fleet.createGroup({ group: "bg", artifacts: [image("1")] });
    await vi.waitFor(() => expect(registry.groupStates.has("bg")).toBe(true), { timeout: 5_000, interval: 10 });
    await module.stop?.();
  });

  it("keeps claiming while a slow job runs: a claim's other jobs and the next claims do not wait for it", async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const client: RegistryClient = {
      ...registry.client,
      deleteRobot: async (req, options) => {
        if (req.satellite === "slow-0") await held;
        return registry.client.deleteRobot(req, options);
      },
    };
    const piped = createFleetModule({
      db: handle.db,
      registry: client,
      logger,
      publisher: { batchSize: 2, concurrency: 2 },
    });
    const others = ["s-1", "s-2", "s-3", "s-4", "s-5"];
    // Satellites that do not exist: each job deletes its robot.
    await enqueue(
      handle.db,
      ["slow-0", ...others].map((subject) => ({ kind: "sync-robot" as const, subject })),
    );
    const flushed = piped.publisher.flush();
    try {
      await vi.waitFor(
        () => expect(registry.calls).toEqual(expect.arrayContaining(others.map((s) => `deleteRobot ${s}`))),
        { timeout: 5_000, interval: 10 },
      );
      expect(registry.calls).not.toContain("deleteRobot slow-0");
    } finally {
      release();
    }
    await flushed;
    expect(registry.calls).toContain("deleteRobot slow-0");
    expect(await piped.store.outbox.pending()).toEqual([]);
  });

  it("gives up on a registry call that hangs, records it and retries later", async () => {
    const hasty = createFleetModule({
      db: handle.db,
      registry: registry.client,
      logger,
      publisher: { callTimeoutMs: 50, baseDelayMs: 10, maxDelayMs: 20 },
    });
    registry.hang = true;
    try {
      await enqueue(handle.db, [{ kind: "publish-group-state", subject: "g1" }]);
      await hasty.publisher.flush();
      const [row] = await hasty.store.outbox.pending();
      expect(row.lastError).toMatch(/deadline_exceeded/);
    } finally {
      registry.hang = false;
    }
    await vi.waitFor(
      async () => {
        await hasty.publisher.flush();
        expect(await hasty.store.outbox.pending()).toEqual([]);
      },
      { timeout: 5_000, interval: 20 },
    );
  });

  it("backs off exponentially with full jitter, capped", () => {
    const policy = outboxRetryPolicy();
    expect([1, 2, 3, 4, 10, 1000].map((a) => delayFor(policy, a, () => 1))).toEqual([
      1000, 2000, 4000, 8000, 300_000, 300_000,
    ]);
    expect(delayFor(policy, 3, () => 0.5)).toBe(2000);
    expect(delayFor(policy, 3, () => 0)).toBe(0);
  });
});
