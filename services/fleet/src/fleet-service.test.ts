// The fleet service through its generated client (in-memory transport with the gateway's error
// mapping) on PGlite, publishing to a fake registry service.
import { Code, createClient, createRouterTransport, type Client, type Interceptor } from "@connectrpc/connect";
import { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { openMemoryDatabase, type DatabaseHandle } from "@harbor-satellite/db";
import { errorMappingInterceptor, publicUrlKey } from "@harbor-satellite/rpc";
import { createLogger } from "@harbor-satellite/telemetry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFleetModule, type FleetModule } from "./index.js";
import { createFakeRegistry, failure, type FakeRegistry } from "./testing.js";

const logger = createLogger({ name: "fleet-test", level: "silent" });
const nginx = { repository: "library/nginx", tags: ["1.27", "latest"], digest: "", type: "" };
const redis = { repository: "library/redis", tags: ["7"], digest: "sha256:" + "b".repeat(64), type: "image" };

describe("fleet service", () => {
  let handle: DatabaseHandle;
  let registry: FakeRegistry;
  let module: FleetModule;
  let fleet: Client<typeof FleetService>;

  beforeAll(async () => {
    handle = await openMemoryDatabase();
    registry = createFakeRegistry("http://harbor.test/");
    module = createFleetModule({ db: handle.db, registry: registry.client, logger, trustDomain: "example.org" });
    // As the gateway does: the URL the admin reached Ground Control at (no GROUND_CONTROL_URL here).
    const reachedAt: Interceptor = (next) => (req) => {
      req.contextValues.set(publicUrlKey, "https://gc.example.com");
      return next(req);
    };
    fleet = createClient(
      FleetService,
      createRouterTransport(module.routes, { router: { interceptors: [errorMappingInterceptor(), reachedAt] } }),
    );
    await module.ready();
    await module.publisher.flush();
  });
  afterAll(async () => {
    await module?.stop?.();
    await handle?.close();
  });

  it("has a published default config from the start", async () => {
    const { config } = await fleet.getConfig({ config: "default" });
    expect(config?.stateUrl).toBe("http://harbor.test/satellite/config-state/default/state:latest");
    expect(JSON.parse(config?.configJson ?? "{}").app_config.heartbeat_interval).toBe("@every 00h00m30s");
    expect(registry.configStates.get("default")).toEqual(JSON.parse(config?.configJson ?? ""));
  });

  it("creates a satellite without groups and still publishes its satellite state and robot", async () => {
    const { satellite } = await fleet.createSatellite({ satellite: "edge-1", selectors: ["docker:label:app:sat"] });
    expect(satellite).toMatchObject({
      name: "edge-1",
      region: "default",
      selectors: ["docker:label:app:sat"],
      groups: [],
      configName: "default",
      spiffeId: "spiffe://example.org/satellite/region/default/edge-1",
      // Served by Ground Control, not Harbor.
      stateUrl: "https://gc.example.com/satellite/satellite-state/edge-1/state:latest",
    });
    await module.publisher.flush();
    expect(registry.satelliteStates.get("edge-1")).toEqual({ groups: [], configName: "default" });
    expect(registry.robots.get("edge-1")).toEqual([]);
  });

  it("creates a group with two images, assigns it, and republishes the satellite and its robot's projects", async () => {
    const { group } = await fleet.createGroup({
      group: "web",
      artifacts: [nginx, { ...redis, repository: "cache/redis" }],
    });
    expect(group?.artifacts.map((a) => a.type)).toEqual(["image", "image"]);
    const { satellite } = await fleet.assignGroup({ satellite: "edge-1", group: "web" });
    expect(satellite?.groups).toEqual(["web"]);
    await module.publisher.flush();
    expect(registry.groupStates.get("web")?.artifacts).toEqual([
      { repository: "library/nginx", tags: ["1.27", "latest"], digest: "", type: "image" },
      { repository: "cache/redis", tags: ["7"], digest: redis.digest, type: "image" },
    ]);
    expect(registry.satelliteStates.get("edge-1")).toEqual({ groups: ["web"], configName: "default" });
    expect(registry.robots.get("edge-1")).toEqual(["cache", "library"]);
    expect((await fleet.getGroup({ group: "web" })).group?.satellites).toEqual(["edge-1"]);
  });

  it("treats repeated assignment as a no-op and unassignment as idempotent", async () => {
    await module.publisher.flush();
    const before = registry.calls.length;
    await fleet.assignGroup({ satellite: "edge-1", group: "web" });
    await module.publisher.flush();
    expect(registry.calls.length).toBe(before);
    await fleet.createSatellite({ satellite: "edge-2", groups: ["web"] });
    expect((await fleet.unassignGroup({ satellite: "edge-2", group: "web" })).satellite?.groups).toEqual([]);
    expect((await fleet.unassignGroup({ satellite: "edge-2", group: "web" })).satellite?.groups).toEqual([]);
  });

  it("re-syncs robots of the group's satellites when its projects change", async () => {
    await fleet.updateGroup({ group: "web", artifacts: [nginx, { ...redis, repository: "apps/redis" }] });
    await module.publisher.flush();
    expect(registry.robots.get("edge-1")).toEqual(["apps", "library"]);
    expect(registry.groupStates.get("web")?.artifacts.map((a) => a.repository)).toEqual([
      "library/nginx",
      "apps/redis",
    ]);
  });

  it("answers InvalidArgument with a message naming the field", async () => {
    const cases: Array<[Promise<unknown>, string]> = [
      [fleet.createSatellite({ satellite: "Edge 1" }), 'satellite "Edge 1" is invalid'],
      [fleet.createSatellite({ satellite: "" }), "satellite is required"],
      [fleet.createSatellite({ satellite: "x".repeat(256) }), "satellite is 256 characters"],
      [fleet.createSatellite({ satellite: "ok", region: "EU" }), "region"],
      [fleet.createSatellite({ satellite: "ok", selectors: ["nocolon"] }), "selectors[0]"],
      [fleet.createGroup({ group: "g", artifacts: [{ ...nginx, repository: "nginx" }] }), "artifacts[0].repository"],
      [
        fleet.createGroup({ group: "g", artifacts: [{ ...nginx, tags: [] }] }),
        "artifacts[0].tags must name at least one tag",
      ],
      [fleet.createGroup({ group: "g", artifacts: [{ ...nginx, digest: "sha256:1234" }] }), "artifacts[0].digest"],
      [fleet.createConfig({ config: "c", configJson: "{not json" }), "config_json is not valid JSON"],
      [
        fleet.createConfig({ config: "c", configJson: '{"app_config":{"heartbeat_interval":"often"}}' }),
        "app_config.heartbeat_interval",
      ],
      [fleet.updateConfig({ config: "default" }), "one of config_json or merge_patch_json is required"],
      [
        fleet.updateConfig({
          config: "default",
          change: { case: "mergePatchJson", value: '{"app_config":{"log_level":"loud"}}' },
        }),
        "merge_patch_json (applied): app_config.log_level: expected one of",
      ],
      [fleet.listSatellites({ page: { pageToken: "garbage" } }), "page_token"],
    ];
    for (const [call, text] of cases) {
      const err = await failure(call);
      expect(err.code, text).toBe(Code.InvalidArgument);
      expect(err.message).toContain(text);
    }
  });

  it("answers NotFound for unknown satellites, groups and configs", async () => {
    const cases: Array<[Promise<unknown>, string]> = [
      [fleet.getSatellite({ satellite: "nope" }), 'satellite "nope" not found'],
      [fleet.createSatellite({ satellite: "s9", groups: ["web", "ghost"] }), 'group "ghost" not found'],
      [fleet.createSatellite({ satellite: "s9", config: "ghost" }), 'config "ghost" not found'],
      [fleet.assignGroup({ satellite: "edge-1", group: "ghost" }), 'group "ghost" not found'],
      [fleet.assignGroup({ satellite: "ghost", group: "web" }), 'satellite "ghost" not found'],
      [fleet.setSatelliteConfig({ satellite: "edge-1", config: "ghost" }), 'config "ghost" not found'],
      [fleet.deleteGroup({ group: "ghost" }), 'group "ghost" not found'],
      [
        fleet.updateConfig({ config: "ghost", change: { case: "configJson", value: '{"app_config":{}}' } }),
        'config "ghost" not found',
      ],
    ];
    for (const [call, text] of cases) {
      const err = await failure(call);
      expect(err.code, text).toBe(Code.NotFound);
      expect(err.message).toBe(text);
    }
    expect((await fleet.listSatellites({})).satellites.map((s) => s.name)).not.toContain("s9");
  });

  it("answers AlreadyExists for duplicates", async () => {
    expect(await failure(fleet.createSatellite({ satellite: "edge-1" }))).toEqual({
      code: Code.AlreadyExists,
      message: 'satellite "edge-1" already exists',
    });
    expect((await failure(fleet.createGroup({ group: "web", artifacts: [nginx] }))).code).toBe(Code.AlreadyExists);
    expect((await failure(fleet.createConfig({ config: "default", configJson: '{"app_config":{}}' }))).code).toBe(
      Code.AlreadyExists,
    );
  });

  it("answers FailedPrecondition for deleting default, a config in use, or an assigned group without force", async () => {
    const d = await failure(fleet.deleteConfig({ config: "default" }));
    expect(d.code).toBe(Code.FailedPrecondition);
    await fleet.createConfig({ config: "fast", configJson: '{"app_config":{"heartbeat_interval":"@every 10s"}}' });
    await fleet.setSatelliteConfig({ satellite: "edge-2", config: "fast" });
    const inUse = await failure(fleet.deleteConfig({ config: "fast" }));
    expect(inUse).toEqual({
      code: Code.FailedPrecondition,
      message: 'config "fast" is used by "edge-2"; give them another config first',
    });
    expect((await fleet.getConfig({ config: "fast" })).config?.satelliteCount).toBe(1);
    const assigned = await failure(fleet.deleteGroup({ group: "web" }));
    expect(assigned.code).toBe(Code.FailedPrecondition);
    expect(assigned.message).toContain('"edge-1"');
  });

  it("patches configs as RFC 7386 says, including switching a flag off", async () => {
    await fleet.updateConfig({
      config: "fast",
      change: { case: "mergePatchJson", value: '{"app_config":{"use_unsecure":true,"log_level":"debug"}}' },
    });
    const { config } = await fleet.updateConfig({
      config: "fast",
      change: { case: "mergePatchJson", value: '{"app_config":{"use_unsecure":false,"log_level":null}}' },
    });
    expect(JSON.parse(config?.configJson ?? "{}")).toEqual({
      app_config: { heartbeat_interval: "@every 10s", use_unsecure: false },
    });
    await module.publisher.flush();
    expect(registry.configStates.get("fast")).toEqual({
      app_config: { heartbeat_interval: "@every 10s", use_unsecure: false },
    });
  });

  it("switches a satellite's config and deletes an unused config with its state", async () => {
    await fleet.setSatelliteConfig({ satellite: "edge-2", config: "default" });
    await module.publisher.flush();
    expect(registry.satelliteStates.get("edge-2")?.configName).toBe("default");
    await fleet.deleteConfig({ config: "fast" });
    await module.publisher.flush();
    expect(registry.configStates.has("fast")).toBe(false);
    expect(registry.calls).toContain("deleteState CONFIG fast");
  });

  it("deletes an assigned group with force and republishes its satellites without it", async () => {
    await fleet.deleteGroup({ group: "web", force: true });
    await module.publisher.flush();
    expect(registry.groupStates.has("web")).toBe(false);
    expect(registry.satelliteStates.get("edge-1")).toEqual({ groups: [], configName: "default" });
    expect(registry.robots.get("edge-1")).toEqual([]);
    expect((await fleet.getSatellite({ satellite: "edge-1" })).satellite?.groups).toEqual([]);
  });

  it("deletes a satellite with its robot and its satellite state", async () => {
    await fleet.deleteSatellite({ satellite: "edge-2" });
    await module.publisher.flush();
    expect(registry.robots.has("edge-2")).toBe(false);
    expect(registry.satelliteStates.has("edge-2")).toBe(false);
    expect(registry.calls).toEqual(expect.arrayContaining(["deleteRobot edge-2", "deleteState SATELLITE edge-2"]));
    expect((await failure(fleet.deleteSatellite({ satellite: "edge-2" }))).code).toBe(Code.NotFound);
  });

  it("lists satellites by region and group, in pages ordered by name", async () => {
    await fleet.createGroup({ group: "edge-apps", artifacts: [nginx] });
    for (const [name, region] of [
      ["b-1", "eu"],
      ["a-1", "eu"],
      ["c-1", "us"],
    ])
      await fleet.createSatellite({ satellite: name, region, groups: region === "eu" ? ["edge-apps"] : [] });
    const first = await fleet.listSatellites({ region: "eu", page: { pageSize: 1 } });
    expect(first.satellites.map((s) => s.name)).toEqual(["a-1"]);
    expect(first.page?.totalSize).toBe(2n);
    const second = await fleet.listSatellites({
      region: "eu",
      page: { pageSize: 1, pageToken: first.page?.nextPageToken },
    });
    expect(second.satellites.map((s) => s.name)).toEqual(["b-1"]);
    expect(second.page?.nextPageToken).toBe("");
    expect((await fleet.listSatellites({ group: "edge-apps" })).satellites.map((s) => s.name)).toEqual(["a-1", "b-1"]);
    expect((await fleet.listGroups({})).groups.map((g) => g.name)).toEqual(["edge-apps"]);
    expect((await fleet.listConfigs({})).configs.map((c) => [c.name, c.satelliteCount])).toEqual([["default", 4]]);
  });

  it("pages satellites by keyset: later pages repeat the first page's total, and an old offset token still continues", async () => {
    const token = (text: string) => Buffer.from(text).toString("base64url");
    const first = await fleet.listSatellites({ page: { pageSize: 2 } });
    const names = first.satellites.map((s) => s.name);
    const total = first.page!.totalSize;
    expect(names).toHaveLength(2);
    // A satellite added while paging shows in the pages after it, but not in the total counted
    // when the listing began: no page but the first counts.
    await fleet.createSatellite({ satellite: "zz-late", region: "us" });
    const rest: string[] = [];
    for (let pageToken = first.page!.nextPageToken; pageToken !== "";) {
      const page = await fleet.listSatellites({ page: { pageSize: 2, pageToken } });
      expect(page.page?.totalSize).toBe(total);
      rest.push(...page.satellites.map((s) => s.name));
      pageToken = page.page!.nextPageToken;
    }
    expect(rest.at(-1)).toBe("zz-late");
    expect([...names, ...rest]).toEqual([...names, ...rest].sort());
    expect((await fleet.listSatellites({})).page?.totalSize).toBe(total + 1n);
    // Tokens issued before keyset paging (an offset) continue where they pointed.
    const legacy = await fleet.listSatellites({ page: { pageSize: 2, pageToken: token("o1") } });
    expect(legacy.satellites.map((s) => s.name)).toEqual([names[1], rest[0]]);
    // A cursor names a satellite; anything else is not a token this server issued.
    for (const bad of [token("s:3:Not A Name"), token("d:3:a-1"), token("s:x:a-1")])
      expect((await failure(fleet.listSatellites({ page: { pageToken: bad } }))).message).toContain("page_token");
  });
});
