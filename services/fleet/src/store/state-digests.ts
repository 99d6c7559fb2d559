// Digests of the published group and config states, and the cascade they drive. A satellite
// state lists its groups' and config's states pinned by digest, so when a group or config state
// is published with a NEW digest, the satellite states listing it must be republished.
//
// Convergence, whatever the order in which outbox rows run and however many replicas run them:
//   - a digest is recorded only if the row still holds the content that was published (compare
//     and set on the JSON), so a slow publish of older content never overwrites a newer digest;
//   - recording a changed digest enqueues `publish-satellite-state` for every satellite with the
//     group/config in the same transaction; a satellite publish that read the old digest is still
//     leased, so the enqueue bumps its row's revision and it runs again with the new one;
//   - the row is locked FOR UPDATE, which waits for assignments in flight (they hold KEY SHARE),
//     so a satellite assigned concurrently is either in the cascade or reads the new digest.
// An unchanged digest (same content: state images carry no timestamps) cascades nothing.
import { and, eq, isNull, sql } from "drizzle-orm";
import { configs, groups, inTransaction, type Database, type GroupArtifact } from "@harbor-satellite/db";
import { enqueue } from "./outbox-store.js";
import { republishSatellites, satellitesWith } from "./satellite-store.js";

export interface StateDigestStore {
  /**
   * Records `digest` as the group's published state if the group still holds `artifacts`, and
   * `resolved` (what that state lists, for a group with tag filters; null otherwise); when the
   * digest changed, queues the satellite states of the group's satellites. Returns those satellites.
   */
  recordGroupState(
    name: string,
    artifacts: GroupArtifact[],
    digest: string,
    resolved?: GroupArtifact[] | null,
  ): Promise<string[]>;
  /** The same for a config and the satellites using it. */
  recordConfigState(name: string, config: Record<string, unknown>, digest: string): Promise<string[]>;
  /** Queues a publish of every group and config never published (first start after an upgrade). */
  requestUnpublishedStates(): Promise<number>;
}

export function createStateDigestStore(db: Database): StateDigestStore {
  return {
    recordGroupState: (name, artifacts, digest, resolved = null) =>
      inTransaction(db, "fleet.recordGroupState", async (tx) => {
        const [row] = await tx
          .select({ id: groups.id, stateDigest: groups.stateDigest })
          .from(groups)
          .where(and(eq(groups.name, name), sql`${groups.artifacts} = ${JSON.stringify(artifacts)}::jsonb`))
          .for("update");
        if (!row) return [];
        if (row.stateDigest === digest) {
          // Same content: the resolution too, but a row recorded before resolutions were kept gets it now.
          await tx.update(groups).set({ resolvedArtifacts: resolved }).where(eq(groups.id, row.id));
          return [];
        }
        await tx.update(groups).set({ stateDigest: digest, resolvedArtifacts: resolved }).where(eq(groups.id, row.id));
        const members = await satellitesWith(tx, { groupId: row.id });
        await republishSatellites(tx, members);
        return members;
      }),

    recordConfigState: (name, config, digest) =>
      inTransaction(db, "fleet.recordConfigState", async (tx) => {
        const [row] = await tx
          .select({ id: configs.id, stateDigest: configs.stateDigest })
          .from(configs)
          .where(and(eq(configs.name, name), sql`${configs.config} = ${JSON.stringify(config)}::jsonb`))
          .for("update");
        if (!row || row.stateDigest === digest) return [];
        await tx.update(configs).set({ stateDigest: digest }).where(eq(configs.id, row.id));
        const users = await satellitesWith(tx, { configId: row.id });
        await republishSatellites(tx, users);
        return users;
      }),

    requestUnpublishedStates: () =>
      inTransaction(db, "fleet.requestUnpublishedStates", async (tx) => {
        const g = await tx.select({ name: groups.name }).from(groups).where(isNull(groups.stateDigest));
        const c = await tx.select({ name: configs.name }).from(configs).where(isNull(configs.stateDigest));
        await enqueue(tx, [
          ...g.map((r) => ({ kind: "publish-group-state" as const, subject: r.name })),
          ...c.map((r) => ({ kind: "publish-config-state" as const, subject: r.name })),
        ]);
        return g.length + c.length;
      }),
  };
}
