// The referrers step of one image: its signatures, attestations and SBOMs (referrers.ts) for the
// digest the local tag points at and, when a platform was picked, for the upstream index too
// (cosign signs the index). The lookups start as soon as the image's manifests are resolved, so
// they run while its blobs copy; what they found is stored once the image itself is in the
// target. A digest this engine has not asked about yet asks the upstream; after that it asks
// again once `recheckMs` (default 10 minutes) has passed — so a signature or SBOM pushed after the
// image arrives within that time, while an unchanged image's resync (or a tag rolled back to a
// digest seen before) stays one manifest HEAD on most passes. A repair pass always asks.
// A failure is logged, never the image's: the signature policy decides what a missing one means.
import { registryFailureFields } from "@harbor-satellite/oci";
import type { Logger } from "pino";
import { findReferrers, storeReferrers, type FoundReferrers, type ReferrerContext } from "./referrers.js";

export const DEFAULT_REFERRERS_RECHECK_MS = 10 * 60_000;

/** The lookups started for one image's digests (those asked recently are left out). */
export interface ReferrersLookup {
  readonly repository: string;
  readonly entries: readonly { digest: string; key: string; found: Promise<FoundReferrers | { failed: unknown }> }[];
}

export interface ReferrersSync {
  /** Starts the upstream lookups for `digests` of an image in `repository` (none throws). */
  lookUp(repository: string, digests: readonly string[], ctx: ReferrerContext): ReferrersLookup;
  /** With the image in the target: stores what the lookups found; failures are logged and asked again next pass. */
  store(lookup: ReferrersLookup, ctx: ReferrerContext, logger: Logger): Promise<void>;
  /** The image failed: its lookups' results are dropped and asked for again next pass. */
  drop(lookup: ReferrersLookup): void;
}

/** One per engine: remembers when each `repository@digest` last asked the upstream. */
export function createReferrersSync(options: { recheckMs?: number } = {}): ReferrersSync {
  const recheckMs = options.recheckMs ?? DEFAULT_REFERRERS_RECHECK_MS;
  const asked = new Map<string, number>();
  return {
    lookUp(repository, digests, ctx) {
      const entries = [];
      for (const digest of new Set(digests)) {
        const key = `${repository}@${digest}`;
        const last = asked.get(key);
        const now = performance.now();
        if (!ctx.repair && last !== undefined && now - last < recheckMs) continue;
        asked.set(key, now);
        const found = findReferrers(repository, digest, ctx).catch((failed: unknown) => ({ failed }));
        entries.push({ digest, key, found });
      }
      if (asked.size > 100_000) asked.clear();
      return { repository, entries };
    },
    async store({ repository, entries }, ctx, logger) {
      for (const { digest, key, found } of entries) {
        try {
          const result = await found;
          if ("failed" in result) throw result.failed;
          const { stored, discovery } = await storeReferrers(repository, result, ctx);
          if (stored > 0) logger.info({ repository, digest, referrers: stored, discovery }, "referrers replicated");
        } catch (error) {
          asked.delete(key); // failed: ask again next pass
          logger.warn(
            { repository, digest, ...(registryFailureFields(error) ?? { err: error }) },
            "referrers not replicated (retried next pass)",
          );
        }
      }
    },
    drop({ entries }) {
      for (const { key } of entries) asked.delete(key);
    },
  };
}
