// Several Ground Control replicas on one PostgreSQL: their outbox publishers share the work
// (FOR UPDATE SKIP LOCKED plus leases), so every request is published, and by one replica only.
import type { Interceptor } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarborClient } from "@harbor-satellite/harbor";
import { HARBOR_ADMIN, startGroundControl, startWorld, type GroundControl, type World } from "./harness.js";

describe("two Ground Control replicas on one database", () => {
  let world: World;
  const replicas: GroundControl[] = [];
  const published: Array<{ replica: number; method: string; subject: string }> = [];

  const recorder =
    (replica: number): Interceptor =>
    (next) =>
    async (req) => {
      const message = req.message as { group?: string; satellite?: string; configName?: string };
      published.push({ replica, method: req.method.name, subject: message.group ?? message.satellite ?? message.configName ?? "" });
      return next(req);
    };

  beforeAll(async () => {
    world = await startWorld();
    for (const i of [0, 1]) replicas.push(await startGroundControl(world, { registryInterceptors: [recorder(i)] }));
  });
  afterAll(async () => {
    for (const r of replicas) await r.stop();
    await world?.stop();
  });

  it("publishes each queued group exactly once between them", async () => {
    await Promise.all(replicas.map((r) => r.fleetModule.publisher.flush()));
    published.length = 0;
    const names = Array.from({ length: 24 }, (_, i) => `group-${String(i).padStart(2, "0")}`);
    // Changes through both replicas; neither publisher runs until both flush at once.
    await Promise.all(names.map((name, i) => replicas[i % 2].fleet.createGroup({ name, artifacts: [{ repository: "library/nginx", tags: [String(i)], digest: "", type: "" }] })));
    await Promise.all(replicas.map((r) => r.fleetModule.publisher.flush()));

    const groupPublishes = published.filter((p) => p.method === "PublishGroupState");
    expect(groupPublishes.map((p) => p.subject).sort()).toEqual(names);
    expect(await replicas[0].fleetModule.store.outbox.pending()).toEqual([]);
    const harbor = createHarborClient({ url: world.emulator.url, ...HARBOR_ADMIN });
    for (const name of [names[0], names[23]]) {
      const artifacts = await harbor.listArtifacts("satellite", `group-state/${name}/state`);
      expect(artifacts.flatMap((a) => (a.tags ?? []).map((t) => t.name))).toContain("latest");
    }
  });

  it("creates the default config once however many replicas start", async () => {
    const listed = await replicas[1].fleet.listConfigs({});
    expect(listed.configs.map((c) => c.name)).toEqual(["default"]);
  });
});
