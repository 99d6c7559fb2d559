// The scale benchmark's fleet, written straight into PostgreSQL with set-based INSERT … SELECT
// (100,000 satellites in a few seconds; the fleet service would also create Harbor robots and
// publish 100,000 states, which is not what this bench measures):
// - configs: `bench`; groups `group-0000`… (each satellite in one, round robin) and `fleet-wide`,
//   assigned to every `--big-every`-th satellite (10,000 of 100,000);
// - every group and the config carry a recorded state digest (sha256 of the name: a stand-in, as
//   if published once), so a satellite state can be published without first publishing 1,001
//   group states to Harbor;
// - robot accounts as bench/heartbeat/fleet.ts makes them (one shared secret, cheap scrypt), so
//   the heartbeat load generator can send through the real heartbeat path.
import { sql } from "drizzle-orm";
import type { Database } from "@harbor-satellite/db";
import { hashSecret } from "@harbor-satellite/rpc";

export const REGIONS = 8;
export const BIG_GROUP = "fleet-wide";

export interface FleetShape {
  satellites: number;
  groups: number;
  /** Every n-th satellite is also in BIG_GROUP. */
  bigEvery: number;
}

export const groupName = (i: number) => `group-${String(i).padStart(4, "0")}`;

const fakeDigest = (column: string) => sql.raw(`'sha256:' || encode(sha256(convert_to(${column}, 'UTF8')), 'hex')`);

export async function seedScaleFleet(db: Database, shape: FleetShape, secret: string): Promise<void> {
  const hash = await hashSecret(secret, { ln: 4, r: 8, p: 1 });
  await db.execute(sql`
    insert into configs (name, config, state_digest) values ('bench', '{"app_config":{}}', ${"sha256:" + "c".repeat(64)})
    on conflict (name) do nothing`);
  await db.execute(sql`
    insert into groups (name, artifacts, state_digest)
    select n, jsonb_build_array(jsonb_build_object('repository', 'library/app-' || i, 'tags', jsonb_build_array('v1'))), ${fakeDigest("n")}
    from (select i, 'group-' || lpad(i::text, 4, '0') as n from generate_series(0, ${shape.groups - 1}) as i) g`);
  await db.execute(sql`
    insert into groups (name, artifacts, state_digest)
    values (${BIG_GROUP}, '[{"repository":"library/base","tags":["v1"]}]', ${"sha256:" + "b".repeat(64)})`);
  await db.execute(sql`
    insert into satellites (name, region, config_id)
    select 'bench-' || lpad(i::text, 6, '0'), 'region-' || (i % ${REGIONS}), (select id from configs where name = 'bench')
    from generate_series(0, ${shape.satellites - 1}) as i`);
  // Satellite i is in group i % groups; the ids follow i because the table was empty.
  await db.execute(sql`
    insert into satellite_groups (satellite_id, group_id)
    select s.id, g.id from satellites s
    join groups g on g.name = 'group-' || lpad(((substr(s.name, 7)::int) % ${shape.groups})::text, 4, '0')`);
  await db.execute(sql`
    insert into satellite_groups (satellite_id, group_id)
    select s.id, (select id from groups where name = ${BIG_GROUP}) from satellites s
    where substr(s.name, 7)::int % ${shape.bigEvery} = 0`);
  await db.execute(sql`
    insert into robot_accounts (satellite_id, robot_name, harbor_id, secret_hash, projects)
    select id, 'robot$' || name, 1000000 + id, ${hash}, '{satellite}' from satellites`);
  await db.execute(sql`analyze`);
}
