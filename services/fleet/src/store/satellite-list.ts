// ListSatellites' reads: satellites in byte order of their names, paged by keyset (`name > the
// last name of the previous page`, a range of `satellites_name_c_idx`), so any page costs what
// the first does. One row more than the page says whether another follows. The total is counted
// only when the caller has none yet (the first page; later pages carry it in their token). A
// group filter is by the group's id, resolved first (see satelliteInGroup for why).
//
// Statements are prepared (postgres.js keeps them per connection by their text): drizzle sends
// its statements unprepared, and postgres.js then asks PostgreSQL to describe each before it can
// run it, one more round trip per statement, and PostgreSQL parses and plans it every time.
import { and, count, eq, sql, type SQL } from "drizzle-orm";
import { configs, groups, satelliteGroups, satellites, type Executor } from "@harbor-satellite/db";
import type { KeysetWindow } from "@harbor-satellite/rpc";
import { groupIdByName, satelliteInGroup } from "../desired-state-query.js";

export interface SatelliteFilter {
  region?: string;
  group?: string;
}

export const listColumns = {
  id: satellites.id,
  name: satellites.name,
  region: satellites.region,
  selectors: satellites.selectors,
  configName: configs.name,
  createdAt: satellites.createdAt,
  updatedAt: satellites.updatedAt,
};

const nameC = sql`${satellites.name} collate "C"`;

async function filterCondition(ex: Executor, filter: SatelliteFilter): Promise<SQL | undefined> {
  return and(
    filter.region ? eq(satellites.region, filter.region) : undefined,
    filter.group ? satelliteInGroup({ id: await groupIdByName(ex, filter.group) }) : undefined,
  );
}

/** How many satellites match; a group alone is counted from its memberships' index. */
async function countSatellites(ex: Executor, filter: SatelliteFilter, where: SQL | undefined): Promise<number> {
  const [row] =
    filter.group && !filter.region
      ? await ex
          .select({ total: count() })
          .from(satelliteGroups)
          .innerJoin(groups, eq(groups.id, satelliteGroups.groupId))
          .where(eq(groups.name, filter.group))
          .prepare("fleet_count_group")
          .execute()
      : await ex.select({ total: count() }).from(satellites).where(where).prepare("fleet_count_satellites").execute();
  return Number(row.total);
}

/** One page of rows (with `more` when another follows) and the total when it had to be counted. */
export async function readSatellitePage(ex: Executor, filter: SatelliteFilter, window: KeysetWindow) {
  const where = await filterCondition(ex, filter);
  const query = ex
    .select(listColumns)
    .from(satellites)
    .innerJoin(configs, eq(configs.id, satellites.configId))
    .where(and(where, window.after === undefined ? undefined : sql`${nameC} > ${window.after}`))
    .orderBy(nameC)
    .limit(window.limit + 1);
  // An old offset token (issued before keyset paging) continues where it pointed, once.
  const rows = await (window.offset === undefined ? query : query.offset(window.offset))
    .prepare("fleet_list_satellites")
    .execute();
  const total = window.total ?? (await countSatellites(ex, filter, where));
  return { rows: rows.slice(0, window.limit), more: rows.length > window.limit, total };
}
