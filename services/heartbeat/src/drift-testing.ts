// Test wiring for the drift view (not exported): the real fleet, registry and heartbeat modules
// in-process on one PGlite, as Ground Control wires them. The registry talks to the Harbor API
// emulator and keeps pushed group and config states in memory; satellite states go to the
// database as in production. The fleet's publisher runs only when a test flushes it, so a test
// can leave a change unpublished.
import { createClient, createRouterTransport, type Client, type Interceptor } from "@connectrpc/connect";
import { eq } from "drizzle-orm";
import { openMemoryDatabase, satelliteStateArtifacts, type DatabaseHandle } from "@harbor-satellite/db";
import { createFleetModule, type FleetModule } from "@harbor-satellite/fleet";
import { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { RegistryService } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import { createHarborClient } from "@harbor-satellite/harbor";
import { digestOf } from "@harbor-satellite/oci";
import { createRegistryModule } from "@harbor-satellite/registry";
import { callerKey, errorMappingInterceptor, type Caller } from "@harbor-satellite/rpc";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { createHeartbeatModule, type HeartbeatModule } from "./index.js";
import { manualClock, silentLogger } from "./testing.js";

/** scrypt at N = 2^10 for the secrets these tests store (production: 2^15). */
const FAST = { ln: 10, r: 8, p: 1 };

const HARBOR = { username: "admin", password: "Harbor12345" };

export interface DriftWorld {
  db: DatabaseHandle["db"];
  fleet: Client<typeof FleetService>;
  fleetModule: FleetModule;
  heartbeat: HeartbeatModule;
  clock: ReturnType<typeof manualClock>;
  /** Runs the fleet's outbox until nothing is due: every change published. */
  publish(): Promise<void>;
  /** The satellite-state digest Ground Control serves the satellite now. */
  stateDigest(satellite: string): Promise<string>;
  close(): Promise<void>;
}

/** Stands in for the gateway between services: calls arrive as an admin's. */
const asAdmin: Interceptor = (next) => (req) => {
  req.contextValues.set(callerKey, { kind: "admin", username: "admin" } satisfies Caller);
  return next(req);
};

/** A registry push target that keeps what it is given (the registry module's StatePusher). */
function memoryPusher() {
  const blobs = new Map<string, Buffer>();
  return {
    async pushBlob(_repository: string, bytes: Uint8Array, digest: string) {
      if (digestOf(bytes) !== digest) throw new Error("blob digest mismatch");
      blobs.set(digest, Buffer.from(bytes));
    },
    async pushManifest(_repository: string, _tag: string, bytes: Uint8Array) {
      return digestOf(bytes);
    },
    close() {},
  };
}

export async function startDriftWorld(): Promise<DriftWorld> {
  const [emu, handle]: [HarborEmulator, DatabaseHandle] = await Promise.all([
    startHarborEmulator({ adminUser: HARBOR.username, adminPassword: HARBOR.password }),
    openMemoryDatabase(),
  ]);
  await createHarborClient({ url: emu.url, ...HARBOR }).ensureProject("apps", { public: false });
  const registry = createRegistryModule({
    db: handle.db,
    harbor: { url: emu.url, ...HARBOR },
    pusher: memoryPusher(),
    logger: silentLogger,
    secretHash: FAST,
  });
  const registryClient = createClient(
    RegistryService,
    createRouterTransport(registry.routes, { router: { interceptors: [errorMappingInterceptor(), asAdmin] } }),
  );
  const fleetModule = createFleetModule({
    db: handle.db,
    registry: registryClient,
    harborUrl: emu.url,
    logger: silentLogger,
  });
  const fleet = createClient(
    FleetService,
    createRouterTransport(fleetModule.routes, { router: { interceptors: [errorMappingInterceptor(), asAdmin] } }),
  );
  // Ground Control's satellite-state timestamps come from the database's clock; ours starts there.
  const clock = manualClock(new Date());
  const heartbeat = createHeartbeatModule({
    db: handle.db,
    logger: silentLogger,
    now: clock.now,
    ingest: { lingerMs: 1 },
    statsIntervalMs: 0,
  });
  await fleetModule.ready();
  const world: DriftWorld = {
    db: handle.db,
    fleet,
    fleetModule,
    heartbeat,
    clock,
    publish: () => fleetModule.publisher.flush(),
    async stateDigest(satellite) {
      const [row] = await handle.db
        .select({ digest: satelliteStateArtifacts.manifestDigest })
        .from(satelliteStateArtifacts)
        .where(eq(satelliteStateArtifacts.satellite, satellite));
      if (!row) throw new Error(`no satellite state stored for ${satellite}`);
      return row.digest;
    },
    async close() {
      await heartbeat.stop?.();
      await fleetModule.stop?.();
      await registry.stop?.();
      await emu.stop();
      await handle.close();
    },
  };
  await world.publish();
  return world;
}

export const PIN = (c: string) => `sha256:${c.repeat(64)}`;
