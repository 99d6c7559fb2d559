// Ground Control's fleet and registry services wired as the gateway wires them (the fleet talks
// to the registry only through its generated client), on a real PostgreSQL 15, with the Harbor
// emulator in front of a real docker-registry, reached through a proxy that can take Harbor down.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient, createRouterTransport, type Client, type Interceptor } from "@connectrpc/connect";
import { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { RegistryService } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import { openDatabase, type DatabaseHandle } from "@harbor-satellite/db";
import { createFleetModule, type FleetModule } from "@harbor-satellite/fleet";
import { createAuthenticator, handleStateRegistryRoute, inProcessTransport } from "@harbor-satellite/gateway";
import { ensureAdminUser } from "@harbor-satellite/identity";
import { createRegistryModule, type RegistryModule } from "@harbor-satellite/registry";
import { errorMappingInterceptor, type ServiceModule } from "@harbor-satellite/rpc";
import { createHarborClient } from "@harbor-satellite/harbor";
import { createLogger } from "@harbor-satellite/telemetry";
import {
  buildImage,
  makeBlobDir,
  pushImage,
  removeBlobDir,
  startPostgres,
  type PostgresServer,
  type SyntheticImage,
} from "@harbor-satellite/testkit";
import { startDockerRegistry, type DockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { startToggleProxy, type ToggleProxy } from "./toggle-proxy.js";

export const HARBOR_ADMIN = { username: "admin", password: "Harbor12345" };
/** Ground Control's own admin (Basic credentials on its satellite-state endpoint). */
export const GC_ADMIN = { username: "admin", password: "gc-admin-password" };
export const logger = createLogger({ name: "gc-it", level: (process.env.LOG_LEVEL as "info" | undefined) ?? "silent" });

export interface GroundControl {
  fleetModule: FleetModule;
  registryModule: RegistryModule;
  fleet: Client<typeof FleetService>;
  registry: Client<typeof RegistryService>;
  db: DatabaseHandle;
  stop(): Promise<void>;
}

export interface World {
  postgres: PostgresServer;
  dockerRegistry: DockerRegistry;
  emulator: HarborEmulator;
  /** HARBOR_URL as Ground Control sees it (through the proxy). */
  harbor: ToggleProxy;
  databaseUrl: string;
  stop(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const [postgres, dockerRegistry] = await Promise.all([startPostgres(), startDockerRegistry()]);
  const emulator = await startHarborEmulator({
    adminUser: HARBOR_ADMIN.username,
    adminPassword: HARBOR_ADMIN.password,
    upstream: { url: dockerRegistry.url },
  });
  const harbor = await startToggleProxy({ host: "127.0.0.1", port: emulator.port });
  const databaseUrl = await postgres.createDatabase("gc");
  return {
    postgres,
    dockerRegistry,
    emulator,
    harbor,
    databaseUrl,
    async stop() {
      await harbor.stop();
      await emulator.stop();
      await Promise.all([dockerRegistry.stop(), postgres.stop()]);
    },
  };
}

const clientOf = <S extends typeof FleetService | typeof RegistryService>(
  service: S,
  module: ServiceModule,
  interceptors: Interceptor[] = [],
) =>
  createClient(
    service,
    createRouterTransport(module.routes, {
      router: { interceptors: [errorMappingInterceptor()] },
      transport: { interceptors },
    }),
  );

/** One Ground Control replica: its own connection pool, registry module and fleet module. */
export interface GroundControlOptions {
  registryInterceptors?: Interceptor[];
  /** SATELLITE_STATE_IN_HARBOR: also push satellite states to Harbor, for original Go satellites. */
  satelliteStateInHarbor?: boolean;
}

export async function startGroundControl(world: World, options: GroundControlOptions = {}): Promise<GroundControl> {
  const db = await openDatabase({ url: world.databaseUrl, maxConnections: 5 });
  const registryModule = createRegistryModule({
    db: db.db,
    harbor: { url: world.harbor.url, ...HARBOR_ADMIN },
    robotDurationDays: 30,
    satelliteStateInHarbor: options.satelliteStateInHarbor,
    logger,
  });
  const registry = clientOf(RegistryService, registryModule, options.registryInterceptors);
  const fleetModule = createFleetModule({
    db: db.db,
    registry,
    logger,
    publisher: { baseDelayMs: 50, maxDelayMs: 400, pollIntervalMs: 100 },
  });
  await fleetModule.ready();
  return {
    fleetModule,
    registryModule,
    fleet: clientOf(FleetService, fleetModule),
    registry,
    db,
    async stop() {
      await fleetModule.stop?.();
      await registryModule.stop?.();
      await db.close();
    },
  };
}

export interface StateEndpoint {
  /** `http://127.0.0.1:<port>`: Ground Control's URL as satellites would reach it. */
  url: string;
  /** `127.0.0.1:<port>`, for skopeo's docker:// references. */
  host: string;
  close(): Promise<void>;
}

/**
 * Ground Control's satellite-state OCI endpoint (`/v2/satellite/satellite-state/…`) as the gateway
 * serves it, with the gateway's authenticator (robots, and GC_ADMIN), backed by this replica's
 * registry module through the gateway's in-process transport.
 */
export async function startStateEndpoint(gc: GroundControl): Promise<StateEndpoint> {
  await ensureAdminUser(gc.db.db, GC_ADMIN.password);
  const registry = createClient(RegistryService, inProcessTransport(gc.registryModule, logger));
  const deps = {
    registry: () => registry,
    authenticate: createAuthenticator({ db: gc.db.db }),
    peer: () => ({ kind: "none" }) as const,
  };
  const server = createServer((req, res) => {
    if (handleStateRegistryRoute(deps, req, res, (req.url ?? "/").split("?")[0])) return;
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `http://${host}`,
    host,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface ServedGroundControl {
  world: World;
  gc: GroundControl;
  endpoint: StateEndpoint;
  /** Closes the endpoint, stops Ground Control, then the world. */
  stop(): Promise<void>;
}

/** A world with these private Harbor projects, and one Ground Control on it serving the satellite-state endpoint. */
export async function startServedGroundControl(
  options: GroundControlOptions & { projects: string[] },
): Promise<ServedGroundControl> {
  const world = await startWorld();
  const gc = await startGroundControl(world, options);
  const endpoint = await startStateEndpoint(gc);
  const harbor = createHarborClient({ url: world.emulator.url, ...HARBOR_ADMIN });
  for (const project of options.projects) await harbor.ensureProject(project, { public: false });
  return {
    world,
    gc,
    endpoint,
    async stop() {
      await endpoint.close();
      await gc.stop();
      await world.stop();
    },
  };
}

/** One synthetic docker image (one layer of `layerSize` bytes) pushed to Harbor as `<repo>:1` for each repo. */
export async function pushOneImage(
  world: World,
  repositories: string[],
  layerSize: number,
): Promise<{ image: SyntheticImage; removeBlobs(): Promise<void> }> {
  const blobs = await makeBlobDir();
  const image = await buildImage({ layerSizes: [layerSize], format: "docker", dir: blobs });
  for (const repo of repositories) await pushImage(world.emulator.url, repo, "1", image, HARBOR_ADMIN);
  return { image, removeBlobs: () => removeBlobDir(blobs) };
}
