// The fleet service for unit tests: its module on an in-memory PGlite, publishing to the fake
// registry service, called through its generated client with the gateway's error mapping.
import { createClient, createRouterTransport, type Client, type Interceptor } from "@connectrpc/connect";
import { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { openMemoryDatabase, type Database } from "@harbor-satellite/db";
import { errorMappingInterceptor, publicUrlKey } from "@harbor-satellite/rpc";
import { createLogger } from "@harbor-satellite/telemetry";
import { createFleetModule, type FleetModule } from "./index.js";
import { createFakeRegistry, type FakeRegistry } from "./testing.js";

export interface TestFleet {
  fleet: Client<typeof FleetService>;
  module: FleetModule;
  registry: FakeRegistry;
  /** The fleet's database, for the read-only queries other services make (desired states). */
  db: Database;
  close(): Promise<void>;
}

export async function startTestFleet(): Promise<TestFleet> {
  const handle = await openMemoryDatabase();
  const registry = createFakeRegistry("http://harbor.test/");
  const module = createFleetModule({
    db: handle.db,
    registry: registry.client,
    logger: createLogger({ name: "fleet-test", level: "silent" }),
    trustDomain: "example.org",
  });
  // As the gateway does: the URL the admin reached Ground Control at (no GROUND_CONTROL_URL here).
  const reachedAt: Interceptor = (next) => (req) => {
    req.contextValues.set(publicUrlKey, "https://gc.example.com");
    return next(req);
  };
  const fleet = createClient(
    FleetService,
    createRouterTransport(module.routes, { router: { interceptors: [errorMappingInterceptor(), reachedAt] } }),
  );
  await module.ready();
  await module.publisher.flush();
  return {
    fleet,
    module,
    registry,
    db: handle.db,
    async close() {
      await module.stop?.();
      await handle.close();
    },
  };
}
