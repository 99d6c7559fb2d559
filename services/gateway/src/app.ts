// Assembles Ground Control: database, service modules, interceptors, listener. `main.ts` calls
// it with parsed config; tests call it directly with port 0.
import type { ConnectRouter } from "@connectrpc/connect";
import { openDatabase, type DatabaseHandle } from "@harbor-satellite/db";
import { ensureAdminUser } from "@harbor-satellite/identity";
import { errorMappingInterceptor, type ServiceModule } from "@harbor-satellite/rpc";
import { resolveLimits } from "@harbor-satellite/serving";
import {
  serverMetricsInterceptor,
  serverTracingInterceptor,
  type Logger,
  type Metrics,
} from "@harbor-satellite/telemetry";
import { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { HeartbeatService } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { IdentityService } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { RegistryService } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import { createAuthenticator } from "./authenticator.js";
import { createRateLimiter } from "./rate-limiter.js";
import { sourceKey } from "./auth/source-key.js";
import { authorizationInterceptor } from "./authorization.js";
import type { GatewayConfig } from "./config.js";
import { watchHarbor } from "./harbor-health.js";
import { httpRoutes } from "./http-routes.js";
import { listen, type Listener } from "./transport/listener.js";
import { buildModules, SERVICE_DESCRIPTORS } from "./modules.js";
import { reflectionRoutes } from "./reflection.js";
import { createRpcHandlers } from "./rpc-handlers.js";
import { setUpTls } from "./tls-setup.js";
import { startGatewayMetrics, type GatewayMetrics } from "./metrics/gateway-metrics.js";

export interface GroundControl {
  readonly port: number;
  readonly modules: readonly ServiceModule[];
  readonly database: DatabaseHandle;
  close(): Promise<void>;
}

/**
 * `metrics`: from startMetrics (main.ts); without it nothing is served at /metrics and instruments record only if a provider exists.
 * `databaseTemplate`: for tests, a new embedded database starts from this migrated cluster (migratedTemplate()) instead of running initdb.
 */
export async function startGroundControl(
  config: GatewayConfig,
  logger: Logger,
  options: { metrics?: Metrics; databaseTemplate?: Blob } = {},
): Promise<GroundControl> {
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    initialDataDir: options.databaseTemplate,
  });
  const security = await setUpTls(config, logger).catch(async (error: unknown) => {
    await database.close();
    throw error;
  });
  let metrics: GatewayMetrics | undefined;
  try {
    if (config.services.includes("identity")) {
      const admin = await ensureAdminUser(database.db, config.adminPassword, config.secretHash);
      if (admin === "created") logger.info({ username: "admin" }, "admin account created");
    }
    const { modules, missing, client } = await buildModules(config, database.db, logger);
    const harbor =
      config.services.includes("registry") || config.remotes.registry
        ? watchHarbor({ registry: () => client("registry", RegistryService), logger })
        : undefined;
    metrics = await startGatewayMetrics({ config, database, modules, metrics: options.metrics, logger });
    if (missing.length) logger.warn({ services: missing }, "services not available in this build are not served");
    // One set of attempt limits (inside the authenticator) for Basic credentials and Login, and one
    // ZTR budget per client address for the REST routes and the rpcs.
    const authenticate = createAuthenticator({ db: database.db, internalToken: config.internalToken });
    const ztrLimiter = createRateLimiter({ perMinute: 10, keyOf: sourceKey });
    const served = modules.flatMap((m) => m.serviceNames);
    const descriptors = Object.values(SERVICE_DESCRIPTORS).filter((d) => served.includes(d.typeName));
    const routes = (router: ConnectRouter) => {
      for (const module of modules) module.routes(router);
      reflectionRoutes(descriptors)(router);
    };
    const { handler, rpcStreams } = createRpcHandlers({
      routes,
      binaryDecoders: new Map(modules.flatMap((m) => [...(m.binaryDecoders ?? [])])),
      // Metrics first: the duration covers the others, and the code is the one the caller gets.
      interceptors: [
        ...(config.metrics.enabled ? [serverMetricsInterceptor()] : []),
        serverTracingInterceptor(logger),
        errorMappingInterceptor(),
        authorizationInterceptor(authenticate, { ztrLimiter }),
      ],
      verifyPeer: security.verifyPeer,
      logger,
      fallback: httpRoutes(database.db, {
        identity: () => client("identity", IdentityService),
        heartbeat: () => client("heartbeat", HeartbeatService),
        registry: () => client("registry", RegistryService),
        authenticate,
        peer: security.verifyPeer,
        ztrLimiter,
        metrics: metrics.onGatewayPort ? options.metrics : undefined,
        harbor: harbor && (() => harbor.current()),
        harborWebhookSecret: config.harborWebhookSecret,
        fleet:
          config.services.includes("fleet") || config.remotes.fleet ? () => client("fleet", FleetService) : undefined,
        logger,
      }),
    });
    const limits = resolveLimits(config.limits);
    const listener: Listener = await listen({
      host: config.host,
      port: config.port,
      handler,
      rpcStreams,
      tls: security.tls,
      onTlsServer: security.onTlsServer,
      limits,
      logger,
    });
    for (const module of modules) module.start?.();
    logger.info(
      {
        port: listener.port,
        host: config.host,
        security: security.mode,
        services: modules.map((m) => m.name),
        database: database.driver,
        limits,
      },
      "ground control listening",
    );
    return {
      port: listener.port,
      modules,
      database,
      async close() {
        harbor?.stop();
        await listener.close();
        await metrics?.close();
        await Promise.all(modules.map((m) => m.stop?.()));
        await security.close();
        await database.close();
      },
    };
  } catch (error) {
    await metrics?.close();
    await security.close();
    await database.close();
    throw error;
  }
}
