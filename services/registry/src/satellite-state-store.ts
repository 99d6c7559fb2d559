// satellite_state_artifacts rows: each satellite's current satellite-state artifact, whole, as
// Ground Control serves it (see packages/db/src/schema/state-artifacts.ts for why it is not in
// Harbor). One row per satellite; a publish replaces it.
import { and, eq, sql } from "drizzle-orm";
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
  /**
   * Replaces the satellite's artifact only where one is stored with no copy in Harbor (the steady
   * state of every publish after the first); false when there was none such, and nothing changed.
   */
  replaceWithoutCopy(state: Omit<StoredSatelliteState, "harborCopy">): Promise<boolean>;
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

    async replaceWithoutCopy(state) {
      const { satellite, ...artifact } = state;
      const updated = await db
        .update(t)
        .set({ ...artifact, updatedAt: sql`now()` })
        .where(and(eq(t.satellite, satellite), eq(t.harborCopy, false)))
        .returning({ satellite: t.satellite })
        // Prepared (once per connection): it runs for every satellite state published.
        .prepare("registry_satellite_state_replace")
        .execute();
      return updated.length > 0;
    },

    async remove(satellite) {
      const removed = await db.delete(t).where(eq(t.satellite, satellite)).returning({ satellite: t.satellite });
      return removed.length > 0;
    },
  };
}
