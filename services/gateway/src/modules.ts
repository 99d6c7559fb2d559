// Builds the service modules this process serves (and forwards the remote ones), wiring each
// with the generated clients of the services it depends on.
import type { Client } from "@connectrpc/connect";
import type { DescService } from "@bufbuild/protobuf";
import { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { HeartbeatService } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { IdentityService } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { RegistryService } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import type { Database } from "@harbor-satellite/db";
import { createFleetModule } from "@harbor-satellite/fleet";
import { createHeartbeatModule } from "@harbor-satellite/heartbeat";
import { createIdentityModule } from "@harbor-satellite/identity";
import { createRegistryModule } from "@harbor-satellite/registry";
import type { ServiceModule } from "@harbor-satellite/rpc";
import { createSpireServerClient } from "@harbor-satellite/spiffe";
import type { Logger } from "@harbor-satellite/telemetry";
import type { GatewayConfig, ServiceName } from "./config.js";
import { createRemoteModule } from "./remote-module.js";
import { clientFor, inProcessTransport, remoteTransport } from "./service-clients.js";
import { createUnconfiguredRegistryModule } from "./unconfigured-registry.js";

export const SERVICE_DESCRIPTORS: Record<ServiceName, DescService> = {
  identity: IdentityService,
  fleet: FleetService,
  registry: RegistryService,
  heartbeat: HeartbeatService,
};

export interface ModuleContext {
  config: GatewayConfig;
  db: Database;
  logger: Logger;
  /** A client of another service, local or remote. */
  client<S extends DescService>(name: ServiceName, service: S): Client<S>;
}

type Factory = (ctx: ModuleContext) => Promise<ServiceModule>;

/** One factory per service; each takes only what it needs from the context. */
const FACTORIES: Partial<Record<ServiceName, Factory>> = {
  identity: async ({ config, db, client }) =>
    createIdentityModule({
      db,
      registry: client("registry", RegistryService),
      fleet: client("fleet", FleetService),
      harborUrl: config.harbor.url,
      publicUrl: config.publicUrl,
      spire: config.spire.serverSocket ? createSpireServerClient({ socket: config.spire.serverSocket }) : undefined,
      trustDomain: config.trustDomain,
      spireServerAddress: config.spire.serverAddress,
      spireServerPort: config.spire.serverPort,
    }),
  fleet: async ({ config, db, logger, client }) => {
    const fleet = createFleetModule({
      db,
      registry: client("registry", RegistryService),
      harborUrl: config.harbor.url,
      publicUrl: config.publicUrl,
      trustDomain: config.trustDomain,
      logger: logger.child({ service: "fleet" }),
      tagFilterPollIntervalMs: config.tagFilterPollSeconds * 1000,
    });
    await fleet.ready();
    return fleet;
  },
  heartbeat: async (ctx) =>
    createHeartbeatModule({
      db: ctx.db,
      publicUrl: ctx.config.publicUrl,
      logger: ctx.logger.child({ service: "heartbeat" }),
      retention: { retentionMs: ctx.config.heartbeatRetentionHours * 3_600_000 },
      // Robot secrets are rotated through the registry service, which needs Harbor.
      credentialRefresh: ctx.config.harbor.url
        ? { registry: ctx.client("registry", RegistryService), policy: ctx.config.harbor.secretRotation }
        : undefined,
    }),
  registry: async ({ config, db, logger }) => {
    const { url, username, password } = config.harbor;
    // Said once by the Harbor watcher (harbor-health.ts), which /healthz reports too.
    if (!url || !username || !password) return createUnconfiguredRegistryModule();
    return createRegistryModule({
      db,
      harbor: { url, username, password },
      publicUrl: config.publicUrl,
      robotDurationDays: config.harbor.robotDurationDays,
      satelliteStateInHarbor: config.harbor.satelliteStateInHarbor,
      secretHash: config.secretHash,
      logger: logger.child({ service: "registry" }),
    });
  },
};

export interface BuiltModules {
  modules: ServiceModule[];
  /** Services named by the config that this build cannot serve yet. */
  missing: ServiceName[];
  /** Clients of any service, local or remote, for routes beside the rpcs. */
  client: ModuleContext["client"];
}

export async function buildModules(config: GatewayConfig, db: Database, logger: Logger): Promise<BuiltModules> {
  const local = new Map<ServiceName, ServiceModule>();
  const ctx: ModuleContext = {
    config,
    db,
    logger,
    client(name, service) {
      const remote = config.remotes[name];
      if (remote) return clientFor(service, remoteTransport(remote, config.internalToken ?? ""));
      // Resolved at call time: the target may be built after its dependant.
      const module = () => {
        const m = local.get(name);
        if (!m) throw new Error(`service ${name} is neither served here nor configured as remote`);
        return m;
      };
      return clientFor(
        service,
        lazyTransport(() => inProcessTransport(module(), logger)),
      );
    },
  };
  if (config.harbor.satelliteStateInHarbor && !config.services.includes("registry")) {
    // The registry module pushes the copies; a process that forwards it can do nothing with this.
    logger.info(
      { registry: config.remotes.registry },
      "SATELLITE_STATE_IN_HARBOR has no effect here: set it on the process serving the registry service",
    );
  }
  const missing: ServiceName[] = [];
  for (const name of config.services) {
    const factory = FACTORIES[name];
    if (!factory) {
      missing.push(name);
      continue;
    }
    local.set(name, await factory(ctx));
  }
  const remotes = Object.entries(config.remotes).map(([name, url]) =>
    createRemoteModule(name, SERVICE_DESCRIPTORS[name as ServiceName], url, config.internalToken ?? ""),
  );
  return { modules: [...local.values(), ...remotes], missing, client: ctx.client };
}

function lazyTransport(make: () => ReturnType<typeof inProcessTransport>): ReturnType<typeof inProcessTransport> {
  let transport: ReturnType<typeof inProcessTransport> | undefined;
  const get = () => (transport ??= make());
  return {
    unary: (...args) => get().unary(...args),
    stream: (...args) => get().stream(...args),
  };
}
