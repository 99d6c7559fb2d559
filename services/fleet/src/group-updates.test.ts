// What UpdateGroup (and CreateGroup, UpdateConfig) do with what a request leaves out: an update
// that would empty a group, and with it every satellite that has it, must say so with
// clear_artifacts; a missing or empty list alone is refused and changes nothing (issue 10).
import { Code, type Client } from "@connectrpc/connect";
import type { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestFleet, type TestFleet } from "./test-fleet.js";
import { failure } from "./testing.js";

const nginx = { repository: "library/nginx", tags: ["1.27"] };
const redis = { repository: "library/redis", tags: ["7"] };
const WOULD_EMPTY =
  "UpdateGroup without artifacts would remove every image from group web (its satellites would delete them): pass clear_artifacts=true to mean it";

describe("group updates", () => {
  let t: TestFleet;
  let fleet: Client<typeof FleetService>;
  const repositories = async (group: string) =>
    (await fleet.getGroup({ group })).group?.artifacts.map((a) => a.repository);
  const published = async (group: string) => {
    await t.module.publisher.flush();
    return t.registry.groupStates.get(group)?.artifacts.map((a) => a.repository);
  };

  beforeAll(async () => {
    t = await startTestFleet();
    fleet = t.fleet;
    await fleet.createGroup({ group: "web", artifacts: [nginx, redis] });
    await fleet.createSatellite({ satellite: "edge-1", groups: ["web"] });
  });
  afterAll(async () => t?.close());

  it("replaces the artifacts with exactly the list given: there is no partial form", async () => {
    const { group } = await fleet.updateGroup({ group: "web", artifacts: [redis] });
    expect(group?.artifacts.map((a) => a.repository)).toEqual(["library/redis"]);
    expect(await published("web")).toEqual(["library/redis"]);
    await fleet.updateGroup({ group: "web", artifacts: [nginx, redis] });
    expect(await published("web")).toEqual(["library/nginx", "library/redis"]);
  });

  it("refuses an update with no artifacts, or an empty list, without clear_artifacts, and leaves the group and its state as they were", async () => {
    await t.module.publisher.flush();
    const calls = t.registry.calls.length;
    for (const request of [
      { group: "web" },
      { group: "web", artifacts: [] },
      { group: "web", artifacts: [], clearArtifacts: false },
    ]) {
      expect(await failure(fleet.updateGroup(request)), JSON.stringify(request)).toEqual({
        code: Code.InvalidArgument,
        message: WOULD_EMPTY,
      });
    }
    expect(await repositories("web")).toEqual(["library/nginx", "library/redis"]);
    await t.module.publisher.flush();
    expect(t.registry.calls.slice(calls)).toEqual([]);
  });

  it("refuses clear_artifacts together with artifacts: the request contradicts itself", async () => {
    expect(await failure(fleet.updateGroup({ group: "web", artifacts: [nginx], clearArtifacts: true }))).toEqual({
      code: Code.InvalidArgument,
      message:
        "clear_artifacts=true contradicts the 1 artifacts given for group web: send the artifacts to replace its list, or clear_artifacts=true alone to empty it",
    });
    expect(await repositories("web")).toEqual(["library/nginx", "library/redis"]);
  });

  it("answers NotFound for an unknown group once the request itself is well-formed", async () => {
    expect(await failure(fleet.updateGroup({ group: "ghost", clearArtifacts: true }))).toEqual({
      code: Code.NotFound,
      message: 'group "ghost" not found',
    });
    expect((await failure(fleet.updateGroup({ group: "ghost" }))).code).toBe(Code.InvalidArgument);
  });

  it("empties the group when clear_artifacts says so, and publishes it empty for its satellites", async () => {
    const { group } = await fleet.updateGroup({ group: "web", clearArtifacts: true });
    expect(group?.artifacts).toEqual([]);
    expect(group?.satellites).toEqual(["edge-1"]);
    expect(await published("web")).toEqual([]);
    expect(t.registry.satelliteStates.get("edge-1")?.groups).toEqual(["web"]);
  });

  it("lets a new group start empty: no satellite has it yet, so nothing can be deleted because of it", async () => {
    const { group } = await fleet.createGroup({ group: "later" });
    expect(group?.artifacts).toEqual([]);
    expect(await published("later")).toEqual([]);
  });

  it("patches a config partially (keys the patch leaves out keep their values), replaces it whole with config_json, and refuses neither", async () => {
    await fleet.createConfig({
      config: "site",
      configJson: '{"app_config":{"heartbeat_interval":"@every 10s","log_level":"info"}}',
    });
    const patched = await fleet.updateConfig({
      config: "site",
      change: { case: "mergePatchJson", value: '{"app_config":{"log_level":"debug"}}' },
    });
    expect(JSON.parse(patched.config?.configJson ?? "")).toEqual({
      app_config: { heartbeat_interval: "@every 10s", log_level: "debug" },
    });
    const replaced = await fleet.updateConfig({
      config: "site",
      change: { case: "configJson", value: '{"app_config":{"log_level":"warn"}}' },
    });
    expect(JSON.parse(replaced.config?.configJson ?? "")).toEqual({ app_config: { log_level: "warn" } });
    expect(await failure(fleet.updateConfig({ config: "site" }))).toEqual({
      code: Code.InvalidArgument,
      message: "one of config_json or merge_patch_json is required",
    });
    expect(JSON.parse((await fleet.getConfig({ config: "site" })).config?.configJson ?? "")).toEqual({
      app_config: { log_level: "warn" },
    });
  });
});
