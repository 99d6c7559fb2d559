// One name per concept (issue 10): requests name the satellite `satellite`, the group `group`,
// the config `config`. The names used before v0.2 (`name`, `config_name`) stay accepted until
// v0.3; both set and different is InvalidArgument naming both. (Over the wire, by field number and
// by JSON name: services/gateway/src/rpc-strict-json.test.ts and tests/e2e/strict-requests.test.ts.)
import { Code, type Client } from "@connectrpc/connect";
import type { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestFleet, type TestFleet } from "./test-fleet.js";
import { failure } from "./testing.js";

const nginx = { repository: "library/nginx", tags: ["1.27"] };
const CONFIG = '{"app_config":{"heartbeat_interval":"@every 10s"}}';

describe("renamed request fields", () => {
  let t: TestFleet;
  let fleet: Client<typeof FleetService>;
  beforeAll(async () => {
    t = await startTestFleet();
    fleet = t.fleet;
  });
  afterAll(async () => t?.close());

  it("serves every rpc by the deprecated names, as an older client sends them", async () => {
    expect((await fleet.createGroup({ name: "old-g", artifacts: [nginx] })).group?.name).toBe("old-g");
    expect(
      (await fleet.updateGroup({ name: "old-g", artifacts: [nginx, { repository: "library/redis", tags: ["7"] }] }))
        .group?.artifacts,
    ).toHaveLength(2);
    expect((await fleet.getGroup({ name: "old-g" })).group?.name).toBe("old-g");
    expect((await fleet.createConfig({ name: "old-c", configJson: CONFIG })).config?.name).toBe("old-c");
    expect(
      (
        await fleet.updateConfig({
          name: "old-c",
          change: { case: "mergePatchJson", value: '{"app_config":{"log_level":"debug"}}' },
        })
      ).config?.name,
    ).toBe("old-c");
    expect((await fleet.getConfig({ name: "old-c" })).config?.name).toBe("old-c");
    const { satellite } = await fleet.createSatellite({ name: "old-s", groups: ["old-g"], configName: "old-c" });
    expect(satellite).toMatchObject({ name: "old-s", groups: ["old-g"], configName: "old-c" });
    expect((await fleet.getSatellite({ name: "old-s" })).satellite?.name).toBe("old-s");
    expect((await fleet.setSatelliteConfig({ satellite: "old-s", configName: "default" })).satellite?.configName).toBe(
      "default",
    );
    await fleet.deleteConfig({ name: "old-c" });
    await fleet.deleteSatellite({ name: "old-s" });
    await fleet.deleteGroup({ name: "old-g" });
    expect((await failure(fleet.getGroup({ group: "old-g" }))).code).toBe(Code.NotFound);
    expect((await failure(fleet.getSatellite({ satellite: "old-s" }))).code).toBe(Code.NotFound);
  });

  it("serves every rpc by the new names, and by both when they agree", async () => {
    await fleet.createGroup({ group: "g", name: "g", artifacts: [nginx] });
    await fleet.createConfig({ config: "c", name: "c", configJson: CONFIG });
    const { satellite } = await fleet.createSatellite({
      satellite: "s",
      name: "s",
      groups: ["g"],
      config: "c",
      configName: "c",
    });
    expect(satellite).toMatchObject({ name: "s", groups: ["g"], configName: "c" });
    expect((await fleet.getSatellite({ satellite: "s" })).satellite?.name).toBe("s");
    expect((await fleet.getGroup({ group: "g", name: "g" })).group?.satellites).toEqual(["s"]);
    expect(
      (await fleet.setSatelliteConfig({ satellite: "s", config: "default", configName: "default" })).satellite
        ?.configName,
    ).toBe("default");
    expect((await fleet.getConfig({ config: "c" })).config?.satelliteCount).toBe(0);
  });

  it("refuses each request whose old and new fields disagree, naming both, and changes nothing", async () => {
    const disagree = (field: string, value: string, old: string, oldValue: string) =>
      `${field} ${JSON.stringify(value)} and ${old} ${JSON.stringify(oldValue)} disagree: ${old} is the deprecated name of ${field} (accepted until v0.3); send ${field} only`;
    const cases: Array<[Promise<unknown>, string]> = [
      [fleet.createSatellite({ satellite: "s2", name: "s3" }), disagree("satellite", "s2", "name", "s3")],
      [
        fleet.createSatellite({ satellite: "s2", config: "c", configName: "default" }),
        disagree("config", "c", "config_name", "default"),
      ],
      [fleet.getSatellite({ satellite: "s", name: "g" }), disagree("satellite", "s", "name", "g")],
      [fleet.deleteSatellite({ satellite: "s", name: "x" }), disagree("satellite", "s", "name", "x")],
      [fleet.createGroup({ group: "g2", name: "g3", artifacts: [nginx] }), disagree("group", "g2", "name", "g3")],
      [fleet.updateGroup({ group: "g", name: "other", artifacts: [nginx] }), disagree("group", "g", "name", "other")],
      [fleet.getGroup({ group: "g", name: "other" }), disagree("group", "g", "name", "other")],
      [fleet.deleteGroup({ group: "g", name: "other", force: true }), disagree("group", "g", "name", "other")],
      [fleet.createConfig({ config: "c2", name: "c3", configJson: CONFIG }), disagree("config", "c2", "name", "c3")],
      [
        fleet.updateConfig({ config: "c", name: "default", change: { case: "configJson", value: CONFIG } }),
        disagree("config", "c", "name", "default"),
      ],
      [fleet.getConfig({ config: "c", name: "default" }), disagree("config", "c", "name", "default")],
      [fleet.deleteConfig({ config: "c", name: "default" }), disagree("config", "c", "name", "default")],
      [
        fleet.setSatelliteConfig({ satellite: "s", config: "c", configName: "default" }),
        disagree("config", "c", "config_name", "default"),
      ],
    ];
    for (const [call, message] of cases) expect(await failure(call)).toEqual({ code: Code.InvalidArgument, message });
    expect((await fleet.listSatellites({})).satellites.map((s) => [s.name, s.configName])).toEqual([["s", "default"]]);
    expect((await fleet.listGroups({})).groups.map((g) => g.name)).toEqual(["g"]);
    expect((await fleet.listConfigs({})).configs.map((c) => c.name)).toEqual(["c", "default"]);
  });

  it("names the new field when neither is set", async () => {
    expect(await failure(fleet.getSatellite({}))).toEqual({
      code: Code.InvalidArgument,
      message: "satellite is required",
    });
    expect(await failure(fleet.getGroup({}))).toEqual({ code: Code.InvalidArgument, message: "group is required" });
    expect(await failure(fleet.getConfig({}))).toEqual({ code: Code.InvalidArgument, message: "config is required" });
    expect(await failure(fleet.setSatelliteConfig({ satellite: "s" }))).toEqual({
      code: Code.InvalidArgument,
      message: "config is required",
    });
  });
});
