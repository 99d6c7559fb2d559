// Layer copies a closing sync window paused (issue 13), for the engine's life and, when the target
// keeps them on disk (the store: ingest/partial-<alg>-<hex>, store/partial-blobs.ts), across
// restarts. The next copy of a digest continues its paused copy with one Range request; the
// worker re-hashes the kept prefix, so the digest is still checked over the whole blob. A kept
// file no desired image needs any more is dropped by prune() after a state pass.
import type { Logger } from "pino";
import type { ReplicationTarget } from "./replication-target.js";
import { SyncWindowClosedError, type PausedCopy } from "./sync-gate.js";

export interface PausedCopies {
  /** By digest: what the copier continues (BlobCopierOptions.paused). */
  readonly byDigest: Map<string, PausedCopy>;
  /** Digests the copier was asked for since the last prune (BlobCopierOptions.asked). */
  readonly asked: Set<string>;
  /** Reads back the files the target kept (once per engine life; before the first pass). */
  load(): Promise<void>;
  /** A pass's failure causes: any but a closed window may have kept an image's layers unseen. */
  passEnded(failureCauses: readonly unknown[]): void;
  /** Drops kept files of digests nobody asked for since the last prune, if every pass saw all layers. */
  prune(): Promise<void>;
  /** Drops the copies paused in memory only; kept files stay for the next start. */
  close(): Promise<void>;
}

export function createPausedCopies(target: ReplicationTarget, logger: Logger): PausedCopies {
  const byDigest = new Map<string, PausedCopy>();
  const asked = new Set<string>();
  let sawAllLayers = true;
  let loaded: Promise<void> | undefined;

  const readKept = async () => {
    if (!target.keptPartials) return;
    try {
      const kept = await target.keptPartials();
      for (const { digest, bytes, temp } of kept)
        if (!byDigest.has(digest)) byDigest.set(digest, { temp, bytes, durable: true });
      if (kept.length > 0)
        logger.info(
          { partials: kept.length, bytes: kept.reduce((n, p) => n + p.bytes, 0) },
          "paused layer copies kept on disk: the next copy of each continues where it stopped",
        );
    } catch (error) {
      logger.warn({ err: error }, "kept partial files could not be listed: their layers are fetched whole");
    }
  };

  return {
    byDigest,
    asked,
    load: () => (loaded ??= readKept()),
    passEnded(causes) {
      sawAllLayers &&= causes.every((cause) => cause instanceof SyncWindowClosedError);
    },
    async prune() {
      if (sawAllLayers)
        for (const [digest, copy] of byDigest) {
          if (!copy.durable || asked.has(digest)) continue;
          byDigest.delete(digest);
          await copy.temp.abort();
          logger.info({ digest, bytes: copy.bytes }, "paused layer copy dropped: no desired image needs it");
        }
      asked.clear();
      sawAllLayers = true;
    },
    async close() {
      await Promise.all([...byDigest.values()].filter((copy) => !copy.durable).map((copy) => copy.temp.abort()));
      byDigest.clear();
      loaded = undefined;
    },
  };
}
