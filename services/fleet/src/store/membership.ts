// Group membership is many-to-many: a group lists its satellites' names and a satellite its
// groups' names. Both read satellite_groups the same way; only the side they start from differs.
import { asc, eq, inArray } from "drizzle-orm";
import { groups, satelliteGroups, satellites, type Executor } from "@harbor-satellite/db";

/** Names per asked id, in the query's (name) order; an id with no members gets []. */
function namesById(ids: number[], rows: { id: number; name: string }[]): Map<number, string[]> {
  const byId = new Map<number, string[]>(ids.map((id) => [id, []]));
  for (const r of rows) byId.get(r.id)?.push(r.name);
  return byId;
}

/** Satellite names per group id, sorted. */
export async function satelliteNamesByGroup(ex: Executor, groupIds: number[]): Promise<Map<number, string[]>> {
  if (groupIds.length === 0) return new Map();
  const rows = await ex
    .select({ id: satelliteGroups.groupId, name: satellites.name })
    .from(satelliteGroups)
    .innerJoin(satellites, eq(satellites.id, satelliteGroups.satelliteId))
    .where(inArray(satelliteGroups.groupId, groupIds))
    .orderBy(asc(satellites.name));
  return namesById(groupIds, rows);
}

/** Group names per satellite id, sorted. */
export async function groupNamesBySatellite(ex: Executor, satelliteIds: number[]): Promise<Map<number, string[]>> {
  if (satelliteIds.length === 0) return new Map();
  const rows = await ex
    .select({ id: satelliteGroups.satelliteId, name: groups.name })
    .from(satelliteGroups)
    .innerJoin(groups, eq(groups.id, satelliteGroups.groupId))
    .where(inArray(satelliteGroups.satelliteId, satelliteIds))
    .orderBy(asc(groups.name))
    // Prepared: a list page runs it for its 100 satellites (satellite-list.ts says why).
    .prepare("fleet_groups_of")
    .execute();
  return namesById(satelliteIds, rows);
}
