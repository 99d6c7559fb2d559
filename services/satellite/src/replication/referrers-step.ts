// The referrers step of one image, after the image itself is in the target: its signatures,
// attestations and SBOMs (referrers.ts) for the digest the local tag points at and, when a
// platform was picked, for the upstream index too (cosign signs the index). A digest this engine
// has not asked about yet asks the upstream; after that it asks again once `recheckMs` (default
// 10 minutes) has passed — so a signature or SBOM pushed after the image arrives within that
// time, while an unchanged image's resync (or a tag rolled back to a digest seen before) stays
// one manifest HEAD on most passes. A repair pass always asks.
// A failure is logged, never the image's: the signature policy decides what a missing one means.
import { registryFailureFields } from "@harbor-satellite/oci";
import type { Logger } from "pino";
import type { ImageOutcome } from "./image-replicator.js";
import { replicateReferrers, type ReferrerContext } from "./referrers.js";

export const DEFAULT_REFERRERS_RECHECK_MS = 10 * 60_000;

export interface ReferrersSync {
  sync(repository: string, outcome: ImageOutcome, ctx: ReferrerContext, logger: Logger): Promise<void>;
}

/** One per engine: remembers when each `repository@digest` last asked the upstream. */
export function createReferrersSync(options: { recheckMs?: number } = {}): ReferrersSync {
  const recheckMs = options.recheckMs ?? DEFAULT_REFERRERS_RECHECK_MS;
  const asked = new Map<string, number>();
  return {
    async sync(repository, outcome, ctx, logger) {
      const digests = [...new Set([outcome.owned.digest, outcome.owned.sourceDigest])];
      for (const digest of digests) {
        const key = `${repository}@${digest}`;
        const last = asked.get(key);
        const now = performance.now();
        if (!ctx.repair && last !== undefined && now - last < recheckMs) continue;
        asked.set(key, now);
        try {
          const { stored, discovery } = await replicateReferrers(repository, digest, ctx);
          if (stored > 0) logger.info({ repository, digest, referrers: stored, discovery }, "referrers replicated");
        } catch (error) {
          asked.delete(key); // failed: ask again next pass
          logger.warn(
            { repository, digest, ...(registryFailureFields(error) ?? { err: error }) },
            "referrers not replicated (retried next pass)",
          );
        }
      }
      if (asked.size > 100_000) asked.clear();
    },
  };
}
