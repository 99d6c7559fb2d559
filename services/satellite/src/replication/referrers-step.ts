// The referrers step of one image, after the image itself is in the store: its signatures,
// attestations and SBOMs (referrers.ts) for the digest the local tag points at and, when a
// platform was picked, for the upstream index too (cosign signs the index). A copied image
// always asks the upstream; an unchanged one only until a sync found something for it (a
// signature pushed after the image arrives on a later pass, at 4 requests per pass until then).
// A failure is logged, never the image's: the signature policy decides what a missing one means.
import { registryFailureFields } from "@harbor-satellite/oci";
import type { Logger } from "pino";
import type { ImageOutcome } from "./image-replicator.js";
import { hasCosignTags, replicateReferrers, type ReferrerContext } from "./referrers.js";
import type { ReplicationTarget } from "./replication-target.js";

/** Per target, `repository@digest` whose referrers a sync found (or the target's cosign tags show). */
const found = new WeakMap<ReplicationTarget, Set<string>>();

export async function syncReferrers(
  repository: string,
  outcome: ImageOutcome,
  ctx: ReferrerContext,
  logger: Logger,
): Promise<void> {
  let seen = found.get(ctx.target);
  if (!seen) found.set(ctx.target, (seen = new Set()));
  const digests = [...new Set([outcome.owned.digest, outcome.owned.sourceDigest])];
  for (const digest of digests) {
    const key = `${repository}@${digest}`;
    if (outcome.status === "unchanged" && (seen.has(key) || (await hasCosignTags(ctx, repository, digest)))) continue;
    try {
      const { stored, listed, discovery } = await replicateReferrers(repository, digest, ctx);
      if (listed > 0) seen.add(key);
      if (stored > 0) logger.info({ repository, digest, referrers: stored, discovery }, "referrers replicated");
    } catch (error) {
      logger.warn(
        { repository, digest, ...(registryFailureFields(error) ?? { err: error }) },
        "referrers not replicated (retried next pass)",
      );
    }
  }
}
