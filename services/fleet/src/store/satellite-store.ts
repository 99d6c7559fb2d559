// Satellites, their groups and their config. Each change runs in one transaction together with
// the outbox requests for the state it alters: the satellite's robot (its projects) and its
// satellite-state artifact. The satellite row is locked first, so concurrent changes to one
// satellite apply one after the other.
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import {
  configs,
  executePrepared,
  groups,
  inTransaction,
  satelliteGroups,
  satellites,
  type Database,
  type Executor,
  rowsOf,
} from "@harbor-satellite/db";
import { AlreadyExistsError, NotFoundError, type KeysetWindow } from "@harbor-satellite/rpc";
import { enqueue, type OutboxRequest } from "./outbox-store.js";
import type { KeysetPage, NewSatellite, SatelliteRecord, SatelliteState } from "./records.js";
import { groupNamesBySatellite } from "./membership.js";
import { listColumns as columns, readSatellitePage, type SatelliteFilter } from "./satellite-list.js";

/** What changing a satellite's groups or config must republish. */
export const satelliteWork = (name: string): OutboxRequest[] => [
  { kind: "sync-robot", subject: name },
  { kind: "publish-satellite-state", subject: name },
];

/** Who has a group or a config: the satellites whose satellite state lists its digest. */
export async function satellitesWith(ex: Executor, by: { groupId: number } | { configId: number }): Promise<string[]> {
  const rows =
    "groupId" in by
      ? await ex
          .select({ name: satellites.name })
          .from(satelliteGroups)
          .innerJoin(satellites, eq(satellites.id, satelliteGroups.satelliteId))
          .where(eq(satelliteGroups.groupId, by.groupId))
      : await ex.select({ name: satellites.name }).from(satellites).where(eq(satellites.configId, by.configId));
  return rows.map((r) => r.name).sort();
}

/** Asks for the satellite states of `names` to be republished (a digest they pin changed). */
export const republishSatellites = (tx: Executor, names: readonly string[]) =>
  enqueue(
    tx,
    names.map((subject): OutboxRequest => ({ kind: "publish-satellite-state", subject })),
  );

const REPUBLISH_BATCH = 1000;

type StateRow = {
  config_name: string;
  config_digest: string | null;
  /** [group name, its state digest or null], by name. */
  groups: [string, string | null][];
  projects: string[];
};

type Row = {
  id: number;
  name: string;
  region: string;
  selectors: string[];
  configName: string;
  createdAt: Date;
  updatedAt: Date;
};

async function withGroups(ex: Executor, rows: Row[]): Promise<SatelliteRecord[]> {
  const byId = await groupNamesBySatellite(
    ex,
    rows.map((r) => r.id),
  );
  return rows.map(({ id, ...r }) => ({ ...r, groups: byId.get(id) ?? [] }));
}

async function find(ex: Executor, name: string, lock = false): Promise<Row | undefined> {
  const query = ex
    .select(columns)
    .from(satellites)
    .innerJoin(configs, eq(configs.id, satellites.configId))
    .where(eq(satellites.name, name));
  const [row] = lock ? await query.for("update", { of: satellites }) : await query;
  return row;
}

async function mustFind(ex: Executor, name: string, lock = false): Promise<Row> {
  const row = await find(ex, name, lock);
  if (!row) throw new NotFoundError("satellite", name);
  return row;
}

/** The config's id; KEY SHARE keeps it from being deleted before the satellite row points at it. */
async function configId(ex: Executor, name: string): Promise<number> {
  const [row] = await ex.select({ id: configs.id }).from(configs).where(eq(configs.name, name)).for("key share");
  if (!row) throw new NotFoundError("config", name);
  return row.id;
}

/** Group ids by name, in the given order; NotFound for the first unknown. KEY SHARE keeps them from being deleted (not from being updated) until commit. */
async function groupIds(ex: Executor, names: string[]): Promise<number[]> {
  if (names.length === 0) return [];
  const rows = await ex
    .select({ id: groups.id, name: groups.name })
    .from(groups)
    .where(inArray(groups.name, names))
    .for("key share");
  const byName = new Map(rows.map((r) => [r.name, r.id]));
  return names.map((n) => {
    const id = byName.get(n);
    if (id === undefined) throw new NotFoundError("group", n);
    return id;
  });
}

const touch = (ex: Executor, id: number) =>
  ex
    .update(satellites)
    .set({ updatedAt: sql`now()` })
    .where(eq(satellites.id, id));

export interface SatelliteStore {
  createSatellite(input: NewSatellite): Promise<SatelliteRecord>;
  getSatellite(name: string): Promise<SatelliteRecord>;
  /** A keyset page by name (satellite-list.ts); `more` when another page follows. */
  listSatellites(filter: SatelliteFilter, window: KeysetWindow): Promise<KeysetPage<SatelliteRecord>>;
  deleteSatellite(name: string): Promise<void>;
  assignGroup(satellite: string, group: string): Promise<SatelliteRecord>;
  unassignGroup(satellite: string, group: string): Promise<SatelliteRecord>;
  setSatelliteConfig(satellite: string, config: string): Promise<SatelliteRecord>;
  /**
   * Queues a republish of the named satellites' states (every satellite's when `names` is empty),
   * coalescing with pending requests, in one transaction; NotFound for the first unknown name.
   * Returns the satellites queued, sorted.
   */
  republishSatelliteStates(names: readonly string[]): Promise<string[]>;
  /** The satellite's desired state, or undefined when it no longer exists. */
  satelliteState(name: string): Promise<SatelliteState | undefined>;
}

export function createSatelliteStore(db: Database): SatelliteStore {
  const reload = async (ex: Executor, name: string) => (await withGroups(ex, [await mustFind(ex, name)]))[0];

  /** Runs a change to one locked satellite; `fn` returns true when it changed anything. */
  const change = (op: string, name: string, fn: (tx: Executor, row: Row) => Promise<boolean>) =>
    inTransaction(db, op, async (tx) => {
      const row = await mustFind(tx, name, true);
      if (await fn(tx, row)) {
        await touch(tx, row.id);
        await enqueue(tx, satelliteWork(name));
      }
      return reload(tx, name);
    });

  return {
    createSatellite: (input) =>
      inTransaction(db, "fleet.createSatellite", async (tx) => {
        const cfg = await configId(tx, input.configName);
        const ids = await groupIds(tx, input.groups);
        const [created] = await tx
          .insert(satellites)
          .values({ name: input.name, region: input.region, selectors: input.selectors, configId: cfg })
          .onConflictDoNothing({ target: satellites.name })
          .returning({ id: satellites.id });
        if (!created) throw new AlreadyExistsError("satellite", input.name);
        if (ids.length > 0)
          await tx.insert(satelliteGroups).values(ids.map((groupId) => ({ satelliteId: created.id, groupId })));
        await enqueue(tx, satelliteWork(input.name));
        return reload(tx, input.name);
      }),

    getSatellite: (name) => reload(db, name),

    async listSatellites(filter, window) {
      const { rows, more, total } = await readSatellitePage(db, filter, window);
      return { items: await withGroups(db, rows), more, total };
    },

    deleteSatellite: (name) =>
      inTransaction(db, "fleet.deleteSatellite", async (tx) => {
        const row = await mustFind(tx, name, true);
        await tx.delete(satellites).where(eq(satellites.id, row.id));
        // The same two jobs find the satellite gone and delete its robot and its state.
        await enqueue(tx, satelliteWork(name));
      }),

    assignGroup: (satellite, group) =>
      change("fleet.assignGroup", satellite, async (tx, row) => {
        const [groupId] = await groupIds(tx, [group]);
        const inserted = await tx
          .insert(satelliteGroups)
          .values({ satelliteId: row.id, groupId })
          .onConflictDoNothing()
          .returning({ id: satelliteGroups.groupId });
        return inserted.length > 0;
      }),

    unassignGroup: (satellite, group) =>
      change("fleet.unassignGroup", satellite, async (tx, row) => {
        const [groupId] = await groupIds(tx, [group]);
        const deleted = await tx
          .delete(satelliteGroups)
          .where(and(eq(satelliteGroups.satelliteId, row.id), eq(satelliteGroups.groupId, groupId)))
          .returning({ id: satelliteGroups.groupId });
        return deleted.length > 0;
      }),

    setSatelliteConfig: (satellite, config) =>
      change("fleet.setSatelliteConfig", satellite, async (tx, row) => {
        const id = await configId(tx, config);
        if (row.configName === config) return false;
        await tx.update(satellites).set({ configId: id }).where(eq(satellites.id, row.id));
        return true;
      }),

    republishSatelliteStates: (names) =>
      inTransaction(db, "fleet.republishSatelliteStates", async (tx) => {
        const wanted = [...new Set(names)];
        // KEY SHARE: none of them is deleted before the requests commit (a delete queues its own).
        const rows = await tx
          .select({ name: satellites.name })
          .from(satellites)
          .where(wanted.length > 0 ? inArray(satellites.name, wanted) : undefined)
          .orderBy(asc(satellites.name))
          .for("key share");
        const found = rows.map((r) => r.name);
        const known = new Set(found);
        const unknown = wanted.find((n) => !known.has(n));
        if (unknown !== undefined) throw new NotFoundError("satellite", unknown);
        // In slices, to stay far below PostgreSQL's limit of bind parameters per statement.
        for (let i = 0; i < found.length; i += REPUBLISH_BATCH)
          await republishSatellites(tx, found.slice(i, i + REPUBLISH_BATCH));
        return found;
      }),

    async satelliteState(name) {
      // One prepared statement: the publisher reads this for every satellite state it writes
      // (10,000 for a change to a group that large), and two unprepared drizzle selects were four
      // round trips. Projects are the first path segment of each group artifact's repository.
      const result = await executePrepared(
        db,
        "fleet_satellite_state",
        sql`select c.name as config_name, c.state_digest as config_digest,
            coalesce((select json_agg(json_build_array(g.name, g.state_digest) order by g.name)
              from satellite_groups sg join groups g on g.id = sg.group_id
              where sg.satellite_id = s.id), '[]'::json) as groups,
            coalesce((select json_agg(distinct split_part(a->>'repository', '/', 1))
              from satellite_groups sg join groups g on g.id = sg.group_id, jsonb_array_elements(g.artifacts) a
              where sg.satellite_id = s.id), '[]'::json) as projects
          from satellites s join configs c on c.id = s.config_id
          where s.name = ${name}`,
      );
      const [row] = rowsOf<StateRow>(result);
      if (!row) return undefined;
      return {
        groups: row.groups.map(([group]) => group),
        groupDigests: Object.fromEntries(row.groups),
        configName: row.config_name,
        configDigest: row.config_digest,
        projects: [...row.projects].sort(),
      };
    },
  };
}
