// Satellite states pin their group and config states by digest, read by the satellite's own state
// reader (services/satellite/src/state) with the satellite's robot: the satellite state from
// Ground Control's endpoint, group and config states from Harbor. An unchanged satellite-state
// digest costs one request and means nothing changed; a group's new content changes the
// satellite-state digest; republishing unchanged content changes nothing.
import { createRegistryClient } from "@harbor-satellite/oci";
import {
  createStateFetcher,
  createStateReader,
  toAppliedState,
  type AppliedState,
  type StateFetcher,
} from "@harbor-satellite/satellite/state";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  GC_ADMIN,
  HARBOR_ADMIN,
  startServedGroundControl,
  type GroundControl,
  type ServedGroundControl,
  type StateEndpoint,
  type World,
} from "./harness.js";
import { readState } from "./state-artifacts.js";

const image = (tag: string) => ({ repository: "team-a/app", tags: [tag], digest: "", type: "" });

describe("satellite states pinned by digest, read by the satellite", () => {
  let world: World;
  let gc: GroundControl;
  let endpoint: StateEndpoint;
  let fetcher: StateFetcher;
  let served: ServedGroundControl | undefined;
  let applied: AppliedState | undefined;
  const reader = () => createStateReader({ fetcher });
  const satelliteUrl = () => `${endpoint.url}/satellite/satellite-state/edge-pin/state:latest`;
  const latestDigest = async (kind: string, name: string) =>
    (kind === "satellite"
      ? await readState(endpoint.url, `satellite/satellite-state/${name}/state`, GC_ADMIN)
      : await readState(world.emulator.url, `satellite/${kind}-state/${name}/state`, HARBOR_ADMIN)
    ).digest;
  const satelliteTags = async () => {
    const client = createRegistryClient({ url: endpoint.url, credentials: GC_ADMIN, retry: { attempts: 1 } });
    try {
      return (await client.listTags("satellite/satellite-state/edge-pin/state")).sort();
    } finally {
      client.close();
    }
  };
  const settle = async () => {
    await gc.fleetModule.publisher.flush();
    expect(await gc.fleetModule.store.outbox.pending()).toEqual([]);
  };

  beforeAll(async () => {
    ({ world, gc, endpoint } = served = await startServedGroundControl({ projects: ["team-a"] }));
    await gc.fleet.createGroup({ group: "web", artifacts: [image("1")] });
    await gc.fleet.createSatellite({ satellite: "edge-pin", groups: ["web"] });
    await settle();
    const { robot, secret } = await gc.registry.rotateRobotSecret({ satellite: "edge-pin" });
    fetcher = createStateFetcher({
      auth: { url: world.harbor.url, username: robot?.name ?? "", password: secret },
      stateUrl: satelliteUrl(),
      retry: { attempts: 1 },
    });
  });
  afterAll(async () => {
    fetcher?.close();
    await served?.stop();
  });

  it("lists pinned group and config URLs the satellite reads, then stops after one request while nothing changes", async () => {
    const read = await reader().read(satelliteUrl());
    if (read.status !== "changed") throw new Error("first read must be a change");
    expect(read.complete).toBe(true);
    expect(read.satellite.states).toEqual([
      `${world.harbor.url}/satellite/group-state/web/state@${await latestDigest("group", "web")}`,
    ]);
    expect(read.satellite.config).toBe(
      `${world.harbor.url}/satellite/config-state/default/state@${await latestDigest("config", "default")}`,
    );
    expect(
      read.groups.map((g) => ({ group: g.group, digest: g.digest, tags: g.artifacts.map((a) => a.tags) })),
    ).toEqual([{ group: "web", digest: await latestDigest("group", "web"), tags: [["1"]] }]);
    applied = toAppliedState(read, [], true);

    const before = fetcher.requestCount;
    expect((await reader().read(satelliteUrl(), applied)).status).toBe("unchanged");
    expect(fetcher.requestCount - before).toBe(1);
  });

  it("changes the satellite-state digest when a group's images change, listing the group's new digest", async () => {
    const oldSatellite = await latestDigest("satellite", "edge-pin");
    const oldGroup = await latestDigest("group", "web");
    await gc.fleet.updateGroup({ group: "web", artifacts: [image("2")] });
    await settle();
    const newGroup = await latestDigest("group", "web");
    expect(newGroup).not.toBe(oldGroup);
    expect(await latestDigest("satellite", "edge-pin")).not.toBe(oldSatellite);

    const read = await reader().read(satelliteUrl(), applied);
    if (read.status !== "changed") throw new Error("a changed group must change the satellite state");
    expect(read.satellite.states).toEqual([`${world.harbor.url}/satellite/group-state/web/state@${newGroup}`]);
    expect(read.groups[0]).toMatchObject({ source: "fetched", digest: newGroup });
    expect(read.groups[0].artifacts.map((a) => a.tags)).toEqual([["2"]]);
    applied = toAppliedState(read, [], true);
  });

  it("republishes an unchanged group under the same digest and does not touch the satellite state", async () => {
    const satellite = await latestDigest("satellite", "edge-pin");
    const group = await latestDigest("group", "web");
    const tagsBefore = await satelliteTags();
    await gc.fleet.updateGroup({ group: "web", artifacts: [image("2")] });
    await settle();
    expect(await latestDigest("group", "web")).toBe(group);
    expect(await latestDigest("satellite", "edge-pin")).toBe(satellite);
    // No new store of the satellite state at all: its unix-time tag is as it was.
    expect(await satelliteTags()).toEqual(tagsBefore);
    expect((await reader().read(satelliteUrl(), applied)).status).toBe("unchanged");
  });

  it("changes the satellite-state digest when its config changes", async () => {
    const satellite = await latestDigest("satellite", "edge-pin");
    await gc.fleet.updateConfig({
      config: "default",
      change: { case: "mergePatchJson", value: '{"app_config":{"log_level":"debug"}}' },
    });
    await settle();
    expect(await latestDigest("satellite", "edge-pin")).not.toBe(satellite);
    const read = await reader().read(satelliteUrl(), applied);
    if (read.status !== "changed") throw new Error("a changed config must change the satellite state");
    expect(read.config).toMatchObject({ changed: true, digest: await latestDigest("config", "default") });
    expect((read.config?.document as { app_config: { log_level: string } }).app_config.log_level).toBe("debug");
  });
});
