// The benchmark's fleet: satellites and their robot accounts inserted straight into the
// database (the fleet service would also create Harbor robots, which this bench does not need).
// All robots share one secret hashed with cheap scrypt parameters: the gateway verifies each
// credential once and then caches it, and the warm-up should not measure scrypt.
import { sql } from "drizzle-orm";
import type { Database } from "@harbor-satellite/db";
import { hashSecret } from "@harbor-satellite/rpc";

export const REGIONS = 4;

export function satelliteName(i: number): string {
  return `bench-${String(i).padStart(6, "0")}`;
}

export async function seedFleet(db: Database, count: number, secret: string): Promise<void> {
  const hash = await hashSecret(secret, { ln: 4, r: 8, p: 1 });
  await db.execute(
    sql`insert into configs (name, config) values ('bench', '{"app_config":{}}') on conflict (name) do nothing`,
  );
  await db.execute(sql`
    insert into satellites (name, region, config_id)
    select 'bench-' || lpad(i::text, 6, '0'), 'region-' || (i % ${REGIONS}), (select id from configs where name = 'bench')
    from generate_series(0, ${count - 1}) as i`);
  await db.execute(sql`
    insert into robot_accounts (satellite_id, robot_name, harbor_id, secret_hash, projects)
    select id, 'robot$' || name, 1000000 + id, ${hash}, '{satellite}' from satellites where name like 'bench-%'`);
  await db.execute(sql`analyze satellites`);
}
