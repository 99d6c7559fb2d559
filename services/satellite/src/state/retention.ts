// Retention of images no group wants any more, and the store quota (app_config.store_quota).
// Without a quota an image is untagged by the pass that drops it (the replication engine does
// it, as always). With one, the pass keeps it — still tagged and served — as "retained", and
// after every pass that read a changed state the quota is applied: when the tagged images hold
// more than the quota, retained images are evicted (untagged; the store GC then frees their
// unshared blobs) in the order store/quota.ts decides, until the store fits. A wanted image is
// never evicted; when the wanted images alone exceed the quota the pass says so ("quota too
// small for the desired set …"), which the heartbeat reports. Removing the quota untags every
// retained image at the next pass, as without one. Before a pass fetches, makeRoom does the same
// for the bytes the pass is about to add (the replication engine's fetch plan, fetch-plan.ts), so
// the store makes room first rather than exceeding the quota until the pass ends; when the wanted
// images and those bytes cannot fit, nothing is fetched and the pass says the quota is too small.
import type { Logger } from "pino";
import { imageName, type OwnedImage } from "../replication/desired-image.js";
import type { ContentStore } from "../store/content-store.js";
import { measureTaggedImages, type FootprintStore } from "../store/image-footprint.js";
import type { PullLog } from "../store/pull-log.js";
import { planEviction, type ImageFootprint } from "../store/quota.js";

export interface RetentionOptions {
  store: FootprintStore & Pick<ContentStore, "deleteManifest">;
  /** The quota in bytes as the config says now; undefined: none. */
  quotaBytes: () => number | undefined;
  pulls?: Pick<PullLog, "lastPulled">;
  logger?: Logger;
  /** Each applied quota: bytes the tagged images hold after evictions, and the quota. */
  onMeasured?: (usedBytes: number, quotaBytes: number) => void;
  /** Frees what evictions before a fetch untagged, before the fetch (the store's collectGarbage). */
  collect?: () => Promise<unknown>;
}

/** What making room before a fetch did. */
export interface RoomResult {
  /** `repository:tag` of the images evicted (untagged, and collected) to make room. */
  evicted: string[];
  /** The wanted images and the pass's fetch do not fit the quota: fetch nothing. */
  tooSmall?: string;
}

export interface RetentionResult {
  /** Retained images still kept (for the applied state). */
  retained: OwnedImage[];
  /** `repository:tag` of the images evicted (untagged) this pass. */
  evicted: string[];
  /** "quota too small for the desired set (needs X, quota Y)" when it is. */
  tooSmall?: string;
}

export interface Retention {
  /** Whether images no group wants are kept (a quota is set). */
  keeps(): boolean;
  /** Applies the quota (or, without one, untags every retained image). */
  apply(wanted: ReadonlySet<string>, retained: readonly OwnedImage[]): Promise<RetentionResult>;
  /**
   * Before a pass fetches `incomingBytes`: evicts retained images (the same order) until the
   * store and the fetch fit the quota, and collects them at once; when the wanted images and the
   * fetch cannot fit, evicts nothing and says so (the pass then fetches nothing).
   */
  makeRoom(wanted: ReadonlySet<string>, retained: readonly OwnedImage[], incomingBytes: number): Promise<RoomResult>;
}

/** The images a pass hands the engine as owned, and those it keeps back as retained. */
export function splitOwned(
  owned: readonly OwnedImage[],
  previouslyRetained: readonly OwnedImage[],
  wanted: ReadonlySet<string>,
  keep: boolean,
): { engineOwned: OwnedImage[]; retain: OwnedImage[] } {
  const known = new Map(previouslyRetained.map((o) => [imageName(o), o]));
  for (const o of owned) known.set(imageName(o), o);
  const all = [...known.values()];
  // A retained image wanted again is the engine's again; without a quota the engine untags the rest.
  return {
    engineOwned: all.filter((o) => wanted.has(imageName(o)) || !keep),
    retain: keep ? all.filter((o) => !wanted.has(imageName(o))) : [],
  };
}

export function createRetention(options: RetentionOptions): Retention {
  const { store, logger } = options;

  /** Untags a retained image unless someone moved or deleted its tag (then it is simply not ours). */
  const untag = async (image: OwnedImage): Promise<boolean> => {
    const local = await store.getManifest(image.repository, image.tag);
    if (local?.digest !== image.digest) return false;
    return store.deleteManifest(image.repository, image.tag);
  };

  /** What every tagged image holds, which a group wants, and which of `candidates` are still ours. */
  const measure = async (wanted: ReadonlySet<string>, candidates: readonly OwnedImage[]) => {
    const byName = new Map(candidates.map((o) => [imageName(o), o]));
    const tagged = await measureTaggedImages(store);
    const present = new Set<string>();
    const footprints: ImageFootprint[] = tagged.map((image) => {
      const name = imageName(image);
      const ours = byName.get(name)?.digest === image.digest;
      if (ours) present.add(name);
      return {
        name,
        files: image.files,
        desired: wanted.has(name),
        evictable: ours,
        lastPulledAt: options.pulls?.lastPulled(image.repository, image.manifests),
      };
    });
    return { byName, present, footprints };
  };

  return {
    keeps: () => options.quotaBytes() !== undefined,
    async makeRoom(wanted, retained, incomingBytes) {
      const quota = options.quotaBytes();
      if (quota === undefined || incomingBytes <= 0) return { evicted: [] };
      const candidates = retained.filter((o) => !wanted.has(imageName(o)));
      const { byName, footprints } = await measure(wanted, candidates);
      const plan = planEviction(footprints, quota, incomingBytes);
      const fields = { usedBytes: plan.usedBytes, incomingBytes, desiredBytes: plan.desiredBytes, quotaBytes: quota };
      if (plan.tooSmall) {
        // Nothing will be fetched, so nothing needs room: the end of the pass applies the quota as always.
        logger?.warn(fields, `${plan.tooSmall}: no layer fetched`);
        return { evicted: [], tooSmall: plan.tooSmall };
      }
      const evicted: string[] = [];
      for (const name of plan.evict) if (await untag(byName.get(name)!)) evicted.push(name);
      if (evicted.length > 0) {
        await options.collect?.();
        logger?.info(
          { ...fields, afterBytes: plan.afterBytes, evicted },
          "store would exceed its quota: images no group wants evicted before fetching",
        );
      }
      return { evicted };
    },
    async apply(wanted, retained) {
      const quota = options.quotaBytes();
      const candidates = retained.filter((o) => !wanted.has(imageName(o)));
      if (quota === undefined) {
        const evicted: string[] = [];
        for (const image of candidates) if (await untag(image)) evicted.push(imageName(image));
        if (evicted.length > 0) logger?.info({ images: evicted }, "no store quota: retained images untagged");
        return { retained: [], evicted };
      }

      const { byName, present, footprints } = await measure(wanted, candidates);
      const plan = planEviction(footprints, quota);
      const evicted: string[] = [];
      for (const name of plan.evict) if (await untag(byName.get(name)!)) evicted.push(name);
      const gone = new Set(evicted);
      const kept = candidates.filter((o) => present.has(imageName(o)) && !gone.has(imageName(o)));
      const fields = {
        usedBytes: plan.usedBytes,
        afterBytes: plan.afterBytes,
        desiredBytes: plan.desiredBytes,
        quotaBytes: quota,
        retained: kept.length,
      };
      if (evicted.length > 0) logger?.info({ ...fields, evicted }, "store over quota: images no group wants evicted");
      if (plan.tooSmall) logger?.warn(fields, plan.tooSmall);
      else if (plan.afterBytes > quota)
        logger?.warn(fields, "store over quota with every retained image evicted: the rest was pushed by hand");
      options.onMeasured?.(plan.afterBytes, quota);
      return { retained: kept, evicted, ...(plan.tooSmall ? { tooSmall: plan.tooSmall } : {}) };
    },
  };
}
