// Client JSON nested far deeper than any config (hardening issue 8): the fleet service answers
// InvalidArgument naming the limit, through its generated client, instead of overflowing a stack
// somewhere after parsing (merge patch, JSON.stringify, jsonb) and answering Internal.
import { Code, ConnectError, createClient, createRouterTransport, type Client } from "@connectrpc/connect";
import { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { openMemoryDatabase, type DatabaseHandle } from "@harbor-satellite/db";
import { errorMappingInterceptor, MAX_JSON_DEPTH } from "@harbor-satellite/rpc";
import { createLogger } from "@harbor-satellite/telemetry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFleetModule, type FleetModule } from "./index.js";
import { createFakeRegistry } from "./testing.js";

const DEEP = 200_000;
const objects = (levels: number, leaf: string) => '{"a":'.repeat(levels) + leaf + "}".repeat(levels);
const arrays = (levels: number) => "[".repeat(levels) + "]".repeat(levels);

describe("fleet service: deeply nested JSON", () => {
  let handle: DatabaseHandle;
  let module: FleetModule;
  let fleet: Client<typeof FleetService>;

  beforeAll(async () => {
    handle = await openMemoryDatabase();
    module = createFleetModule({
      db: handle.db,
      registry: createFakeRegistry().client,
      logger: createLogger({ name: "fleet-test", level: "silent" }),
      trustDomain: "example.org",
    });
    fleet = createClient(
      FleetService,
      createRouterTransport(module.routes, { router: { interceptors: [errorMappingInterceptor()] } }),
    );
    await module.ready();
  });
  afterAll(async () => {
    await module?.stop?.();
    await handle?.close();
  });

  const outcome = (call: Promise<unknown>) =>
    call.then(
      () => "ok",
      (e: unknown) => ({ code: Code[ConnectError.from(e).code], message: ConnectError.from(e).rawMessage }),
    );
  const refused = (field: string) => ({
    code: "InvalidArgument",
    message: `${field} nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels, the most accepted`,
  });

  it("refuses an UpdateConfig merge patch nested 200,000 levels deep with InvalidArgument naming the limit", async () => {
    expect(
      await outcome(
        fleet.updateConfig({ config: "default", change: { case: "mergePatchJson", value: objects(DEEP, "1") } }),
      ),
    ).toEqual(refused("merge_patch_json"));
    expect(
      await outcome(
        fleet.updateConfig({
          config: "default",
          change: { case: "mergePatchJson", value: `{"zot_config":{"x":${arrays(DEEP)}}}` },
        }),
      ),
    ).toEqual(refused("merge_patch_json"));
  });

  it("refuses configs nested that deep in CreateConfig and UpdateConfig alike", async () => {
    const deepConfig = `{"app_config":{},"zot_config":${objects(DEEP, "{}")}}`;
    expect(await outcome(fleet.createConfig({ config: "deep", configJson: deepConfig }))).toEqual(
      refused("config_json"),
    );
    expect(
      await outcome(fleet.updateConfig({ config: "default", change: { case: "configJson", value: deepConfig } })),
    ).toEqual(refused("config_json"));
  });

  it("still applies patches and configs of ordinary depth", async () => {
    const { config } = await fleet.updateConfig({
      config: "default",
      change: { case: "mergePatchJson", value: `{"zot_config":${objects(10, "true")}}` },
    });
    expect(JSON.parse(config?.configJson ?? "{}").zot_config.a.a.a).toBeTypeOf("object");
  });
});
