// @harbor-satellite/fleet: the fleet service module for the gateway. It owns satellites, groups
// and configs in the database and republishes the state artifacts they imply through the registry
// service's generated client (never its internals), via the outbox publisher it starts.
import type { Client, HandlerContext } from "@connectrpc/connect";
import { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import type { RegistryService } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import type { Database } from "@harbor-satellite/db";
import { publicUrlOf, type ServiceModule } from "@harbor-satellite/rpc";
import { createLogger, type Logger } from "@harbor-satellite/telemetry";
import { DEFAULT_CONFIG_NAME, defaultConfig } from "./default-config.js";
import { createFleetServiceImpl } from "./fleet-service.js";
import type { MessageContext } from "./messages.js";
import { createOutboxPublisher, type OutboxPublisher, type PublisherOptions } from "./publisher.js";
import { createFleetStore, type FleetStore } from "./store/index.js";
import { createTagFilterWatcher, type TagFilterWatcher } from "./tag-filters/tag-filter-watcher.js";

export interface FleetModuleDeps {
  db: Database;
  /** The registry service, through its generated client (in-process or remote). */
  registry: Client<typeof RegistryService>;
  /** HARBOR_URL, for state URLs in responses; asked from the registry service when unset. */
  harborUrl?: string;
  /** GROUND_CONTROL_URL, for satellite-state URLs in responses; unset, the URL of each request. */
  publicUrl?: string;
  /** SPIFFE trust domain for satellite IDs (default harbor-satellite.local). */
  trustDomain?: string;
  logger?: Logger;
  publisher?: PublisherOptions;
  /**
   * How often tag-filtered groups are resolved again against Harbor (TAG_FILTER_POLL_SECONDS);
   * default 60 000 ms, 0 turns the poll off.
   */
  tagFilterPollIntervalMs?: number;
}

export interface FleetModule extends ServiceModule {
  /** The outbox publisher (flush it in tests or before shutdown). */
  readonly publisher: OutboxPublisher;
  readonly store: FleetStore;
  /** Resolves once the `default` config exists. */
  ready(): Promise<void>;
  /** Re-resolves tag-filtered groups (its check() is one pass now, for tests and webhooks). */
  readonly tagFilters: TagFilterWatcher;
}

export function createFleetModule(deps: FleetModuleDeps): FleetModule {
  const logger = deps.logger ?? createLogger({ name: "fleet" });
  const store = createFleetStore(deps.db);
  const publisher = createOutboxPublisher(store, deps.registry, logger, deps.publisher);
  const trustDomain = deps.trustDomain ?? "harbor-satellite.local";
  const tagFilters = createTagFilterWatcher({
    store,
    registry: deps.registry,
    logger,
    intervalMs: deps.tagFilterPollIntervalMs ?? 60_000,
    callTimeoutMs: deps.publisher?.callTimeoutMs,
    queued: () => publisher.kick(),
  });

  // `default` is created (and queued for publishing) once per process, and every group or config
  // without a published digest is queued (after an upgrade, satellite states wait for those
  // digests); a failure is retried by the next call.
  let defaultReady: Promise<void> | undefined;
  const ready = (): Promise<void> => {
    defaultReady ??= store.ensureConfig(DEFAULT_CONFIG_NAME, defaultConfig()).then(
      async (created) => {
        if (created) logger.info({ config: DEFAULT_CONFIG_NAME }, "created default config");
        const unpublished = await store.requestUnpublishedStates();
        if (unpublished > 0) logger.info({ count: unpublished }, "queued groups and configs never published");
        if (created || unpublished > 0) publisher.kick();
      },
      (error: unknown) => {
        defaultReady = undefined;
        throw error;
      },
    );
    return defaultReady;
  };

  let harborUrl = deps.harborUrl?.replace(/\/+$/, "");
  const publicUrl = deps.publicUrl?.replace(/\/+$/, "") || undefined;
  const context = async (call?: HandlerContext): Promise<MessageContext> => {
    if (harborUrl === undefined) {
      try {
        harborUrl = (await deps.registry.getRegistryInfo({})).harborUrl.replace(/\/+$/, "");
      } catch (error) {
        logger.warn({ err: String(error) }, "registry service unreachable; state URLs left empty");
      }
    }
    return { harborUrl: harborUrl ?? "", publicUrl: publicUrl ?? (call && publicUrlOf(call)) ?? "", trustDomain };
  };

  const impl = createFleetServiceImpl({
    store,
    changed: () => publisher.kick(),
    ready,
    context,
    resolveTagFilters: (repositories) => tagFilters.check(repositories),
  });

  return {
    name: "fleet",
    serviceNames: [FleetService.typeName],
    publisher,
    store,
    ready,
    tagFilters,
    routes: (router) => router.service(FleetService, impl),
    start() {
      publisher.start();
      tagFilters.start();
      ready().catch((error: unknown) =>
        logger.error({ err: String(error) }, "could not create the default config; will retry on the next call"),
      );
    },
    stop: async () => {
      await tagFilters.stop();
      await publisher.stop();
    },
  };
}

export { SATELLITE_CONFIG_SCHEMA, requireSatelliteConfig } from "./config-schema.js";
export { mergePatch } from "./merge-patch.js";
export { DEFAULT_CONFIG_NAME, defaultConfig } from "./default-config.js";
export type { OutboxPublisher, PublisherOptions } from "./publisher.js";
export { groupIdByName, readDesiredStates, satelliteInGroup, satellitePublishPending } from "./desired-state-query.js";
export type { DesiredGroup, PendingPublish, SatelliteDesiredState } from "./desired-state-query.js";
export { fleetSatellites, satelliteIdByName, satelliteNameById } from "./satellite-query.js";
export { requestRobotSyncs } from "./store/outbox-store.js";
