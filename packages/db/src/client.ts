// Opens Ground Control's database: PostgreSQL through postgres.js when a URL is given, otherwise
// embedded PGlite under the data folder. Both run the same generated migrations at open, so the
// embedded default and production share one schema. The embedded database's folder belongs to one
// process (database-lock.ts) and only its owner can read it (private-modes.ts).
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { lockDatabaseDirectory } from "./database-lock.js";
import { makePrivateDir, makeTreePrivate } from "./private-modes.js";
import * as schema from "./schema/index.js";

export type Schema = typeof schema;
/** The drizzle database, whichever driver is underneath. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction handle; same query API as Database. */
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
/** Either a database or a transaction: functions that may run inside one take this. */
export type Executor = Database | Transaction;

export interface DatabaseHandle {
  db: Database;
  driver: "postgres" | "pglite";
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres://… ; when unset, PGlite under `dataDir`. */
  url?: string;
  /** Folder for the embedded database (default ./data). */
  dataDir?: string;
  /** Connection pool size for PostgreSQL. */
  maxConnections?: number;
}

// In the bundle (`npm run build`) the migrations are copied beside it, into dist/drizzle.
const bundled = (globalThis as { HARBOR_SATELLITE_BUNDLE?: boolean }).HARBOR_SATELLITE_BUNDLE === true;
const MIGRATIONS = fileURLToPath(new URL(bundled ? "./drizzle" : "../drizzle", import.meta.url));

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<DatabaseHandle> {
  if (options.url) return openPostgres(options.url, options.maxConnections ?? 20);
  return openPglite(join(options.dataDir ?? "./data", "pglite"));
}

async function openPostgres(url: string, max: number): Promise<DatabaseHandle> {
  const { default: postgres } = await import("postgres");
  const { drizzle } = await import("drizzle-orm/postgres-js");
  const { migrate } = await import("drizzle-orm/postgres-js/migrator");
  // Notices (e.g. "relation already exists, skipping") are noise in our logs.
  const client = postgres(url, { max, onnotice: () => {} });
  const db = drizzle(client, { schema });
  await migrate(db, { migrationsFolder: MIGRATIONS });
  return { db: db as unknown as Database, driver: "postgres", close: () => client.end({ timeout: 5 }) };
}

async function openPglite(dir: string): Promise<DatabaseHandle> {
  if (dir === "memory://") return startPglite(undefined);
  // Creates missing parents 0700; an existing data dir's own mode is the operator's.
  const lock = await lockDatabaseDirectory(dir);
  try {
    await makePrivateDir(dir);
    const handle = await startPglite(dir);
    await makeTreePrivate(dir);
    return {
      ...handle,
      close: async () => {
        try {
          await handle.close();
          await makeTreePrivate(dir);
        } finally {
          await lock.release();
        }
      },
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** The embedded database's buffer cache (PostgreSQL's default is 128MB). */
export const PGLITE_SHARED_BUFFERS = "16MB";

/** PGlite on `dir` (in memory when undefined) with the migrations applied. */
async function startPglite(dir: string | undefined): Promise<DatabaseHandle> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  const { migrate } = await import("drizzle-orm/pglite/migrator");
  // PostgreSQL's default 128 MB of shared buffers are most of an embedded Ground Control's memory
  // (~370 MB RSS idle); its working set (satellites, groups, recent heartbeats) fits in far less,
  // and the rest is read through the operating system's page cache.
  const client = await PGlite.create(dir, { startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${PGLITE_SHARED_BUFFERS}`] });
  try {
    const db = drizzle(client, { schema });
    await migrate(db, { migrationsFolder: MIGRATIONS });
    return { db: db as unknown as Database, driver: "pglite", close: () => client.close() };
  } catch (error) {
    await client.close().catch(() => {});
    throw error;
  }
}

/** An in-memory PGlite database with migrations applied: for unit tests. */
export function openMemoryDatabase(): Promise<DatabaseHandle> {
  return openPglite("memory://");
}
