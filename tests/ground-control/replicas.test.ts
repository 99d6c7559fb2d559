// Several Ground Control replicas on one PostgreSQL: their outbox publishers share the work
// (FOR UPDATE SKIP LOCKED plus leases), so every request is published, and by one replica only;
// and the satellite states they publish end up pinned to the current group and config digests.
import type { Interceptor } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { createHarborClient } from "@harbor-satellite/harbor";
import {
  GC_ADMIN,
  HARBOR_ADMIN,
  startGroundControl,
  startStateEndpoint,
  startWorld,
  type GroundControl,
  type World,
} from "./harness.js";
import { readState } from "./state-artifacts.js";

describe("two Ground Control replicas on one database", () => {
  let world: World;
  const replicas: GroundControl[] = [];
  const published: Array<{ replica: number; method: string; subject: string }> = [];

  const recorder =
    (replica: number): Interceptor =>
    (next) =>
    async (req) => {
      const message = req.message as { group?: string; satellite?: string; config?: string };
      published.push({
        replica,
        method: req.method.name,
        subject: message.group ?? message.satellite ?? message.config ?? "",
      });
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
    await Promise.all(
      names.map((name, i) =>
        replicas[i % 2].fleet.createGroup({
          group: name,
          artifacts: [{ repository: "library/nginx", tags: [String(i)], digest: "", type: "" }],
        }),
      ),
    );
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

  it("converges every satellite state on the current digests of its groups and config, however the replicas interleave", async () => {
    const harbor = createHarborClient({ url: world.emulator.url, ...HARBOR_ADMIN });
    await harbor.ensureProject("apps", { public: false });
    // Satellite states are on Ground Control (either replica serves the same rows), the rest in Harbor.
    const endpoint = await startStateEndpoint(replicas[1]);
    onTestFinished(() => endpoint.close());
    const latest = async (kind: string, name: string) =>
      kind === "satellite"
        ? readState(endpoint.url, `satellite/satellite-state/${name}/state`, GC_ADMIN)
        : readState(world.emulator.url, `satellite/${kind}-state/${name}/state`, HARBOR_ADMIN);
    const groupNames = Array.from({ length: 6 }, (_, i) => `conv-${i}`);
    const artifacts = (round: number, i: number) => [
      { repository: "apps/web", tags: [`r${round}-${i}`], digest: "", type: "" },
    ];
    await Promise.all(
      groupNames.map((name, i) => replicas[i % 2].fleet.createGroup({ group: name, artifacts: artifacts(0, i) })),
    );
    await replicas[0].fleet.createConfig({ config: "conv-config", configJson: '{"app_config":{"log_level":"info"}}' });
    const satellites = Array.from({ length: 4 }, (_, i) => ({
      satellite: `conv-sat-${i}`,
      groups: [0, 1, 2].map((k) => groupNames[(i + k) % groupNames.length]).sort(),
      config: i % 2 === 0 ? "conv-config" : "default",
    }));
    const settled = () =>
      vi.waitFor(
        async () => {
          await Promise.all(replicas.map((r) => r.fleetModule.publisher.flush()));
          expect(await replicas[0].fleetModule.store.outbox.pending()).toEqual([]);
        },
        { timeout: 30_000, interval: 100 },
      );
    for (const r of replicas) r.fleetModule.start?.();
    try {
      await Promise.all(satellites.map((sat, i) => replicas[i % 2].fleet.createSatellite(sat)));
      // Rounds of changes through both replicas while both publishers run: after rounds 1 and 2
      // every satellite state has been published, so only the cascade can bring them up to date;
      // rounds 3 and 4 overlap with the publishing of each other.
      for (const round of [1, 2, 3, 4]) {
        await Promise.all([
          ...groupNames.map((name, i) =>
            replicas[(round + i) % 2].fleet.updateGroup({ group: name, artifacts: artifacts(round, i) }),
          ),
          replicas[round % 2].fleet.updateConfig({
            config: "conv-config",
            change: { case: "mergePatchJson", value: `{"app_config":{"log_level":"${round % 2 ? "debug" : "warn"}"}}` },
          }),
        ]);
        if (round <= 2) await settled();
        else await new Promise((r) => setTimeout(r, 20));
      }
      await settled();
    } finally {
      for (const r of replicas) await r.fleetModule.publisher.stop();
    }

    const digests = new Map<string, string>();
    for (const [i, name] of groupNames.entries()) {
      const group = await latest("group", name);
      expect((group.json as { artifacts: Array<{ tag: string[] }> }).artifacts[0].tag).toEqual([`r4-${i}`]);
      digests.set(name, group.digest);
    }
    const config = await latest("config", "conv-config");
    expect((config.json as { app_config: { log_level: string } }).app_config.log_level).toBe("warn");
    const base = world.harbor.url;
    for (const sat of satellites) {
      const state = await latest("satellite", sat.satellite);
      expect(state.json).toEqual({
        states: sat.groups.map((g) => `${base}/satellite/group-state/${g}/state@${digests.get(g)}`),
        config: `${base}/satellite/config-state/${sat.config}/state@${sat.config === "default" ? (await latest("config", "default")).digest : config.digest}`,
      });
    }
  });
});
