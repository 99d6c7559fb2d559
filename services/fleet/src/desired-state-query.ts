// Read-only queries for readers outside the fleet service (the heartbeat service's drift view):
// what a page of satellites should hold, and whether Ground Control still has a change for them
// to publish. They read the fleet's tables (groups, satellite_groups, configs, outbox) so that no
// other package has to; nothing here writes.
//
// Cost for a page of N satellites: four indexed queries, run two and two (N group memberships by
// satellite_groups' primary key; the distinct groups' artifacts once each, however many
// satellites of the page share them; N configs' replication intervals; the outbox rows of the
// page's satellite states and groups by the (kind, subject) unique index).
import { and, eq, inArray, sql, type SQL } from "drizzle-orm";
import {
  configs,
  groups,
  outbox,
  satelliteGroups,
  satellites,
  type Executor,
  type GroupArtifact,
} from "@harbor-satellite/db";

/** A group as a satellite's desired state lists it. */
export interface DesiredGroup {
  name: string;
  artifacts: GroupArtifact[];
}

/** A publish Ground Control still has to make for a satellite (queued or retrying). */
export interface PendingPublish {
  /** When the oldest such request was queued. */
  since: Date;
  /** The last attempt's error, when one failed. */
  lastError: string | null;
}

export interface SatelliteDesiredState {
  /** Its groups, sorted by name, with their current artifacts. */
  groups: DesiredGroup[];
  /** `app_config.state_replication_interval` of its config as written; undefined when unset. */
  replicationInterval: string | undefined;
  /** The oldest pending publish of its satellite state or of one of its groups' states. */
  pending: PendingPublish | undefined;
}

/** The desired state of each satellite given (by id; unknown ids are absent from the map). */
export async function readDesiredStates(
  db: Executor,
  page: readonly { id: number; name: string }[],
): Promise<Map<number, SatelliteDesiredState>> {
  const result = new Map<number, SatelliteDesiredState>();
  if (page.length === 0) return result;
  const ids = page.map((s) => s.id);
  const [memberships, intervals] = await Promise.all([
    db
      .select({ satelliteId: satelliteGroups.satelliteId, groupId: groups.id, name: groups.name })
      .from(satelliteGroups)
      .innerJoin(groups, eq(groups.id, satelliteGroups.groupId))
      .where(inArray(satelliteGroups.satelliteId, ids)),
    db
      .select({
        id: satellites.id,
        interval: sql<string | null>`${configs.config} #>> '{app_config,state_replication_interval}'`,
      })
      .from(satellites)
      .innerJoin(configs, eq(configs.id, satellites.configId))
      .where(inArray(satellites.id, ids)),
  ]);
  const groupIds = [...new Set(memberships.map((m) => m.groupId))];
  const groupNames = [...new Set(memberships.map((m) => m.name))];
  const [groupRows, pendingRows] = await Promise.all([
    groupIds.length === 0
      ? []
      : db
          // A group with tag filters is desired as its last publish resolved them.
          .select({
            id: groups.id,
            name: groups.name,
            artifacts: sql<GroupArtifact[]>`coalesce(${groups.resolvedArtifacts}, ${groups.artifacts})`,
          })
          .from(groups)
          .where(inArray(groups.id, groupIds)),
    db
      .select({ kind: outbox.kind, subject: outbox.subject, createdAt: outbox.createdAt, lastError: outbox.lastError })
      .from(outbox)
      .where(
        sql`(${and(
          eq(outbox.kind, "publish-satellite-state"),
          inArray(
            outbox.subject,
            page.map((s) => s.name),
          ),
        )})${
          groupNames.length > 0
            ? sql` or (${and(eq(outbox.kind, "publish-group-state"), inArray(outbox.subject, groupNames))})`
            : sql``
        }`,
      ),
  ]);

  const groupById = new Map(groupRows.map((g) => [g.id, { name: g.name, artifacts: g.artifacts }]));
  const pendingOf = new Map(pendingRows.map((r) => [`${r.kind} ${r.subject}`, r]));
  const intervalOf = new Map(intervals.map((r) => [r.id, r.interval ?? undefined]));
  const groupsOf = new Map<number, DesiredGroup[]>();
  for (const m of memberships) {
    const group = groupById.get(m.groupId);
    if (!group) continue; // deleted between the two reads
    const list = groupsOf.get(m.satelliteId) ?? [];
    list.push(group);
    groupsOf.set(m.satelliteId, list);
  }
  for (const { id, name } of page) {
    if (!intervalOf.has(id)) continue; // deleted meanwhile
    const own = (groupsOf.get(id) ?? []).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const requests = [
      pendingOf.get(`publish-satellite-state ${name}`),
      ...own.map((g) => pendingOf.get(`publish-group-state ${g.name}`)),
    ].filter((r) => r !== undefined);
    const oldest = requests.reduce<(typeof requests)[number] | undefined>(
      (a, b) => (a === undefined || b.createdAt < a.createdAt ? b : a),
      undefined,
    );
    const lastError = requests.find((r) => r.lastError)?.lastError ?? null;
    result.set(id, {
      groups: own,
      replicationInterval: intervalOf.get(id),
      pending: oldest ? { since: oldest.createdAt, lastError } : undefined,
    });
  }
  return result;
}

/**
 * SQL condition: the satellite row `"satellites"` has the group named `group`, or the group whose
 * row id is `group.id` (resolved first with groupIdByName; -1 for a group that does not exist).
 * For queries over the satellites table (the outer row is referred to by its table name).
 *
 * Give the id when the query pages: it goes into the SQL as a literal, so PostgreSQL plans with
 * that group's size from the column's statistics. By name (or as a parameter) every group plans
 * as the average one (~110 members of 100,000), so a page of a 10,000-member group fetched and
 * sorted all 10,000 members (15-100 ms) instead of walking the name index (under 1 ms).
 */
export function satelliteInGroup(group: string | { id: number }): SQL {
  if (typeof group === "object") {
    const id = sql.raw(String(Number.isSafeInteger(group.id) ? group.id : -1));
    return sql`exists (select 1 from "satellite_groups" sg where sg."satellite_id" = "satellites"."id" and sg."group_id" = ${id})`;
  }
  return sql`exists (select 1 from "satellite_groups" sg join "groups" g on g."id" = sg."group_id" where sg."satellite_id" = "satellites"."id" and g."name" = ${group})`;
}

/** The group's row id, or -1 when there is no such group (so satelliteInGroup matches nothing). */
export async function groupIdByName(ex: Executor, name: string): Promise<number> {
  const [row] = await ex
    .select({ id: groups.id })
    .from(groups)
    .where(eq(groups.name, name))
    .prepare("fleet_group_id")
    .execute();
  return row?.id ?? -1;
}

/** SQL condition: Ground Control has a publish pending for the satellite row `"satellites"` (its state or one of its groups'). */
export function satellitePublishPending(): SQL {
  return sql`(exists (select 1 from "outbox" o where o."kind" = 'publish-satellite-state' and o."subject" = "satellites"."name")
    or exists (select 1 from "outbox" o join "groups" g on g."name" = o."subject" join "satellite_groups" sg on sg."group_id" = g."id"
      where o."kind" = 'publish-group-state' and sg."satellite_id" = "satellites"."id"))`;
}
