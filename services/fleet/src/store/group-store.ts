// Groups and their artifacts. Creating or updating a group republishes its group-state; a change
// of the projects its artifacts live in also re-syncs the robots of its satellites; deleting it
// (forced) republishes the state of every satellite that had it.
import { asc, count, eq, sql } from "drizzle-orm";
import { groups, inTransaction, type Database, type Executor, type GroupArtifact } from "@harbor-satellite/db";
import { AlreadyExistsError, FailedPreconditionError, NotFoundError, type PageWindow } from "@harbor-satellite/rpc";
import { enqueue, type OutboxRequest } from "./outbox-store.js";
import type { GroupRecord, Page } from "./records.js";
import { satelliteNamesByGroup } from "./membership.js";
import { satelliteWork } from "./satellite-store.js";

type Row = { id: number; name: string; artifacts: GroupArtifact[]; createdAt: Date; updatedAt: Date };

const columns = {
  id: groups.id,
  name: groups.name,
  artifacts: groups.artifacts,
  createdAt: groups.createdAt,
  updatedAt: groups.updatedAt,
};

async function withSatellites(ex: Executor, rows: Row[]): Promise<GroupRecord[]> {
  const byId = await satelliteNamesByGroup(
    ex,
    rows.map((r) => r.id),
  );
  return rows.map(({ id, ...r }) => ({ ...r, satellites: byId.get(id) ?? [] }));
}

async function mustFind(ex: Executor, name: string, lock?: "update" | "no key update"): Promise<Row> {
  const query = ex.select(columns).from(groups).where(eq(groups.name, name));
  const [row] = lock ? await query.for(lock) : await query;
  if (!row) throw new NotFoundError("group", name);
  return row;
}

const projectKey = (artifacts: GroupArtifact[]) =>
  [...new Set(artifacts.map((a) => a.repository.split("/", 1)[0]))].sort().join(",");

export interface GroupStore {
  createGroup(name: string, artifacts: GroupArtifact[]): Promise<GroupRecord>;
  updateGroup(name: string, artifacts: GroupArtifact[]): Promise<GroupRecord>;
  getGroup(name: string): Promise<GroupRecord>;
  listGroups(window: PageWindow): Promise<Page<GroupRecord>>;
  deleteGroup(name: string, force: boolean): Promise<void>;
  /** The group's artifacts, or undefined when it no longer exists. */
  groupState(name: string): Promise<GroupArtifact[] | undefined>;
  /**
   * Every group with at least one tag-filtered artifact (tagRegex or semverRange), by name, with
   * what its last publish resolved (null before the first).
   */
  filteredGroups(): Promise<
    Array<{ name: string; artifacts: GroupArtifact[]; resolvedArtifacts: GroupArtifact[] | null }>
  >;
  /** Queues a publish of these groups' states (their tag filters resolve differently now). */
  requestGroupPublish(names: readonly string[]): Promise<void>;
}

export function createGroupStore(db: Database): GroupStore {
  const reload = async (ex: Executor, name: string) => (await withSatellites(ex, [await mustFind(ex, name)]))[0];

  return {
    createGroup: (name, artifacts) =>
      inTransaction(db, "fleet.createGroup", async (tx) => {
        const created = await tx
          .insert(groups)
          .values({ name, artifacts })
          .onConflictDoNothing({ target: groups.name })
          .returning({ id: groups.id });
        if (created.length === 0) throw new AlreadyExistsError("group", name);
        await enqueue(tx, [{ kind: "publish-group-state", subject: name }]);
        return reload(tx, name);
      }),

    updateGroup: (name, artifacts) =>
      inTransaction(db, "fleet.updateGroup", async (tx) => {
        const row = await mustFind(tx, name, "no key update");
        // The old resolution says nothing about the new list (the drift view falls back to it until published).
        await tx
          .update(groups)
          .set({ artifacts, resolvedArtifacts: null, updatedAt: new Date() })
          .where(eq(groups.id, row.id));
        const work: OutboxRequest[] = [{ kind: "publish-group-state", subject: name }];
        if (projectKey(row.artifacts) !== projectKey(artifacts)) {
          const members = (await satelliteNamesByGroup(tx, [row.id])).get(row.id) ?? [];
          work.push(...members.map((s): OutboxRequest => ({ kind: "sync-robot", subject: s })));
        }
        await enqueue(tx, work);
        return reload(tx, name);
      }),

    getGroup: (name) => reload(db, name),

    async listGroups(window) {
      const [{ total }] = await db.select({ total: count() }).from(groups);
      const rows = await db
        .select(columns)
        .from(groups)
        .orderBy(asc(groups.name))
        .limit(window.limit)
        .offset(window.offset);
      return { items: await withSatellites(db, rows), total: Number(total) };
    },

    deleteGroup: (name, force) =>
      inTransaction(db, "fleet.deleteGroup", async (tx) => {
        // FOR UPDATE waits for assignments in flight (they hold KEY SHARE on the group), so the
        // check below sees every satellite that has the group.
        const row = await mustFind(tx, name, "update");
        const members = (await satelliteNamesByGroup(tx, [row.id])).get(row.id) ?? [];
        if (members.length > 0 && !force) {
          const shown = members
            .slice(0, 5)
            .map((s) => JSON.stringify(s))
            .join(", ");
          throw new FailedPreconditionError(
            `group ${JSON.stringify(name)} is assigned to ${members.length} satellite(s) (${shown}${members.length > 5 ? ", …" : ""}); unassign it first or set force`,
          );
        }
        await tx.delete(groups).where(eq(groups.id, row.id));
        await enqueue(tx, [{ kind: "publish-group-state", subject: name }, ...members.flatMap(satelliteWork)]);
      }),

    filteredGroups: () =>
      db
        .select({ name: groups.name, artifacts: groups.artifacts, resolvedArtifacts: groups.resolvedArtifacts })
        .from(groups)
        .where(sql`jsonb_path_exists(${groups.artifacts}, '$[*] ? (exists(@.tagRegex) || exists(@.semverRange))')`)
        .orderBy(asc(groups.name)),

    requestGroupPublish: (names) =>
      inTransaction(db, "fleet.requestGroupPublish", (tx) =>
        enqueue(
          tx,
          names.map((subject): OutboxRequest => ({ kind: "publish-group-state", subject })),
        ),
      ),

    async groupState(name) {
      const [row] = await db.select({ artifacts: groups.artifacts }).from(groups).where(eq(groups.name, name));
      return row?.artifacts;
    },
  };
}
