// Opens Ground Control's database: PostgreSQL through postgres.js when a URL is given, otherwise
// embedded PGlite under the data folder. Both run the same generated migrations at open, so the
// embedded default and production share one schema. The embedded database's folder belongs to one
// process (database-lock.ts) and only its owner can read it (private-modes.ts).
import { access } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { lockDatabaseDirectory } from "./database-lock.js";
import { memoryTemplate } from "./memory-template.js";
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
  /**
   * For tests: a new embedded database (no cluster in its folder yet) starts from this dump
   * (migratedTemplate()) instead of an empty cluster, skipping initdb. Migrations run either way.
   */
  initialDataDir?: Blob;
}

// In the bundle (`npm run build`) the migrations are copied beside it, into dist/drizzle.
const bundled = (globalThis as { HARBOR_SATELLITE_BUNDLE?: boolean }).HARBOR_SATELLITE_BUNDLE === true;
const MIGRATIONS = fileURLToPath(new URL(bundled ? "./drizzle" : "../drizzle", import.meta.url));

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<DatabaseHandle> {
  if (options.url) return openPostgres(options.url, options.maxConnections ?? 20);
  return openPglite(join(options.dataDir ?? "./data", "pglite"), options.initialDataDir);
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

async function openPglite(dir: string, initialDataDir?: Blob): Promise<DatabaseHandle> {
  // Creates missing parents 0700; an existing data dir's own mode is the operator's.
  const lock = await lockDatabaseDirectory(dir);
  try {
    await makePrivateDir(dir);
    const fresh = initialDataDir !== undefined && !(await exists(join(dir, "PG_VERSION")));
    const handle = await startPglite(dir, fresh ? initialDataDir : undefined);
    await makeTreePrivate(dir);
    return {
      db: handle.db,
      driver: handle.driver,
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

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** PGlite on `dir` (in memory when undefined), started from the dump `loadDataDir` when given, with the migrations applied. */
async function startPglite(dir: string | undefined, loadDataDir?: Blob): Promise<DatabaseHandle & { client: PGlite }> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  const { migrate } = await import("drizzle-orm/pglite/migrator");
  // PostgreSQL's default 128 MB of shared buffers are most of an embedded Ground Control's memory
  // (~370 MB RSS idle); its working set (satellites, groups, recent heartbeats) fits in far less,
  // and the rest is read through the operating system's page cache.
  const startParams = [...PGlite.defaultStartParams, "-c", `shared_buffers=${PGLITE_SHARED_BUFFERS}`];
  const client = await PGlite.create(dir, loadDataDir ? { startParams, loadDataDir } : { startParams });
  try {
    const db = drizzle(client, { schema });
    await migrate(db, { migrationsFolder: MIGRATIONS });
    return { db: db as unknown as Database, driver: "pglite", client, close: () => client.close() };
  } catch (error) {
    await client.close().catch(() => {});
    throw error;
  }
}

/**
 * A dump (PGlite's dumpDataDir, uncompressed tar) of a new cluster after the migrations ran on it:
 * what test databases start from (memory-template.ts), made by the same path as every open.
 */
export async function dumpMigratedCluster(): Promise<Blob> {
  const { client } = await startPglite(undefined);
  try {
    return await client.dumpDataDir("none");
  } finally {
    await client.close();
  }
}

/** The migrated cluster tests start databases from: see memory-template.ts. */
export function migratedTemplate(): Promise<Blob> {
  return memoryTemplate(dumpMigratedCluster);
}

/** An in-memory PGlite database with migrations applied: for unit tests. Starts from migratedTemplate(). */
export async function openMemoryDatabase(): Promise<DatabaseHandle> {
  const { db, driver, close } = await startPglite(undefined, await migratedTemplate());
  return { db, driver, close };
}
