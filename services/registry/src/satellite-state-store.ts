// satellite_state_artifacts rows: each satellite's current satellite-state artifact, whole, as
// Ground Control serves it (see packages/db/src/schema/state-artifacts.ts for why it is not in
// Harbor). One row per satellite; a publish replaces it.
import { eq, sql } from "drizzle-orm";
import { satelliteStateArtifacts, type Database } from "@harbor-satellite/db";

export interface StoredSatelliteState {
  satellite: string;
  manifestDigest: string;
  manifest: Buffer;
  mediaType: string;
  configDigest: string;
  config: Buffer;
  layerDigest: string;
  layer: Buffer;
  timestampTag: string;
  /** A copy may be in Harbor (SATELLITE_STATE_IN_HARBOR): see the column's comment. */
  harborCopy: boolean;
}

export interface SatelliteStateStore {
  find(satellite: string): Promise<StoredSatelliteState | undefined>;
  /**
   * Without reading the artifact's bytes: undefined when the satellite has no stored artifact,
   * else whether a copy may be in Harbor.
   */
  harborCopy(satellite: string): Promise<boolean | undefined>;
  /** Inserts or replaces the satellite's artifact. */
  save(state: StoredSatelliteState): Promise<void>;
  /** Removes it; false when there was none. */
  remove(satellite: string): Promise<boolean>;
}

export function createSatelliteStateStore(db: Database): SatelliteStateStore {
  const t = satelliteStateArtifacts;
  return {
    async find(satellite) {
      const [row] = await db
        .select({
          satellite: t.satellite,
          manifestDigest: t.manifestDigest,
          manifest: t.manifest,
          mediaType: t.mediaType,
          configDigest: t.configDigest,
          config: t.config,
          layerDigest: t.layerDigest,
          layer: t.layer,
          timestampTag: t.timestampTag,
          harborCopy: t.harborCopy,
        })
        .from(t)
        .where(eq(t.satellite, satellite));
      return row;
    },

    async harborCopy(satellite) {
      const [row] = await db.select({ harborCopy: t.harborCopy }).from(t).where(eq(t.satellite, satellite));
      return row?.harborCopy;
    },

    async save(state) {
      const { satellite, ...artifact } = state;
      await db
        .insert(t)
        .values({ satellite, ...artifact })
        .onConflictDoUpdate({ target: t.satellite, set: { ...artifact, updatedAt: sql`now()` } });
    },

    async remove(satellite) {
      const removed = await db.delete(t).where(eq(t.satellite, satellite)).returning({ satellite: t.satellite });
      return removed.length > 0;
    },
  };
}
