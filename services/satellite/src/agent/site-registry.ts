// The registry the site pulls from, as app_config.bring_own_registry decides at start: the
// satellite's own (its registry listens, replication writes into the store) or a bring-your-own
// one (nothing listens on the satellite's registry port; replication pushes into that registry
// over the distribution API, and the owned-image audit and the heartbeat's image list look there).
// bring_own_registry takes effect at the next start (hot-reload.ts); local_registry's url and
// credentials apply to the next request.
import type { RetryOptions } from "@harbor-satellite/oci";
import type { SatelliteConfig } from "../config/satellite-config.js";
import type { OwnedImage } from "../replication/desired-image.js";
import { createRegistryTarget } from "../replication/registry-target.js";
import { storeTarget, TargetUnavailableError, type ReplicationTarget } from "../replication/replication-target.js";
import { describeWriteAccess } from "../registry/write-access.js";
import type { AuditStore } from "../state/owned-audit.js";
import type { CatalogStore } from "./cached-images.js";
import { startLocalRegistry, type LocalRegistry, type LocalRegistryOptions } from "./local-registry.js";

export interface SiteRegistry {
  /** Our listening registry, or (bring-your-own) a stand-in that never listens and never moves. */
  registry: LocalRegistry;
  /** Where replication writes. */
  target: ReplicationTarget;
  /** What the owned-image audit checks. */
  audit: AuditStore;
  /** What the heartbeat's cached_images lists, given the images the passes own. */
  catalog(owned: () => Promise<readonly OwnedImage[]>): CatalogStore;
  close(): Promise<void>;
}

export interface SiteRegistryOptions extends LocalRegistryOptions {
  config: () => SatelliteConfig;
  retry?: RetryOptions;
}

export async function openSiteRegistry(options: SiteRegistryOptions): Promise<SiteRegistry> {
  const { store, config, logger } = options;
  if (!config().app_config.bring_own_registry) {
    const registry = await startLocalRegistry(options);
    logger.info(
      {
        url: registry.url,
        ...describeWriteAccess(options.writeAccess),
        readers: options.readCredentials?.users,
      },
      "local registry listening",
    );
    return {
      registry,
      target: storeTarget(store),
      audit: store,
      catalog: () => store,
      close: () => registry.close(),
    };
  }
  const target = createRegistryTarget({
    settings: () => config().app_config.local_registry,
    scratch: store,
    logger: logger.child({ component: "byo-registry" }),
    retry: options.retry,
  });
  logger.info(
    { target: target.description, port: options.port },
    "bring_own_registry: images are replicated into this registry and runtimes pull from it; the satellite's own registry does not listen",
  );
  const registry = standIn(() => config().app_config.local_registry.url, options.host, options.port);
  return {
    registry,
    target,
    audit: auditIn(target),
    catalog: (owned) => ownedCatalog(target, owned),
    close: async () => {
      target.close();
      await registry.close();
    },
  };
}

/**
 * The audit's reads in the registry. One that fails (unreachable, refused) fails the pass with the
 * registry named: whether the images are intact cannot be told, so nothing is reported applied.
 */
function auditIn(target: ReplicationTarget): AuditStore {
  const named = (error: unknown): never => {
    throw error instanceof TargetUnavailableError ? error : new TargetUnavailableError(target.description, error);
  };
  return {
    getManifest: (repository, reference) => target.getManifest(repository, reference).catch(named),
    recheckBlob: (digest, size, repository) => target.recheckBlob(digest, size, repository).catch(named),
    recheckManifest: (repository, digest, size) => target.recheckManifest(repository, digest, size).catch(named),
  };
}

/** What the agent asks of its registry when there is none of its own to run. */
function standIn(url: () => string, host: string, port: number): LocalRegistry {
  // The listener kept the process alive (the scheduler's timers do not); without one, this does.
  const keepAlive = setInterval(() => {}, 1 << 30);
  return {
    get url() {
      return url();
    },
    host,
    port,
    moveTo: async () => false,
    close: async () => clearInterval(keepAlive),
  };
}

/**
 * The owned images' tags as the bring-your-own registry holds them: a registry's full catalog
 * is not ours to list (and Harbor's needs an admin), so the heartbeat reports what we put there.
 */
function ownedCatalog(target: ReplicationTarget, owned: () => Promise<readonly OwnedImage[]>): CatalogStore {
  const tagsOf = async () => {
    const byRepository = new Map<string, string[]>();
    for (const image of await owned())
      byRepository.set(image.repository, [...(byRepository.get(image.repository) ?? []), image.tag]);
    return byRepository;
  };
  return {
    listRepositories: async () => [...(await tagsOf()).keys()].sort(),
    listTags: async (repository) => (await tagsOf()).get(repository) ?? [],
    // Unreachable: the heartbeat still goes out, listing what can be seen (the pass reports why).
    getManifest: (repository, reference) => target.getManifest(repository, reference).catch(() => undefined),
  };
}
