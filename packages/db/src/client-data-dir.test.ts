// The embedded database on a real folder: one process per folder, and only its owner can read it.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, realpath, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migratedTemplate, openDatabase, type OpenDatabaseOptions } from "./client.js";
import { DatabaseLockedError } from "./database-lock.js";
import { configs } from "./schema/index.js";

/** Every folder and file under `dir` (and `dir` itself) whose permission bits are not private. */
async function notPrivate(dir: string): Promise<string[]> {
  const wrong: string[] = [];
  const mode = async (path: string) => (await stat(path)).mode & 0o777;
  if ((await mode(dir)) !== 0o700) wrong.push(`${dir} ${(await mode(dir)).toString(8)}`);
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const want = entry.isDirectory() ? 0o700 : 0o600;
    const got = await mode(path);
    if (got !== want) wrong.push(`${path} ${got.toString(8)}`);
  }
  return wrong;
}

async function count(dir: string): Promise<number> {
  return (await readdir(dir, { recursive: true })).length;
}

describe("embedded database on a data dir", { timeout: 90_000 }, () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = join(await realpath(await mkdtemp(join(tmpdir(), "db-dir-"))), "data");
  });
  afterEach(async () => {
    await rm(join(dataDir, ".."), { recursive: true, force: true });
  });

  // The lock tests start new data dirs from the migrated template (as test Ground Controls do)
  // rather than running initdb; the permission test below runs initdb.
  const fromTemplate = async (): Promise<OpenDatabaseOptions> => ({
    dataDir,
    initialDataDir: await migratedTemplate(),
  });

  it("refuses a second open of the same data dir in one process with DatabaseLockedError, and reopens after close", async () => {
    const first = await openDatabase(await fromTemplate());
    const second = await openDatabase(await fromTemplate()).catch((error: unknown) => error);
    expect(second).toBeInstanceOf(DatabaseLockedError);
    expect((second as DatabaseLockedError).dir).toBe(join(dataDir, "pglite"));
    expect((second as Error).message).toContain(`in use by this process (pid ${process.pid})`);
    await first.db.insert(configs).values({ name: "kept", config: {} });
    await first.close();
    // A template only starts a new database: the existing one is opened as it is.
    const reopened = await openDatabase(await fromTemplate());
    expect((await reopened.db.select().from(configs)).map((c) => c.name)).toEqual(["kept"]);
    await reopened.close();
  });

  it("takes over the lock of a process that died without closing (kill -9)", async () => {
    await (await openDatabase(await fromTemplate())).close();
    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    await once(child, "exit");
    await writeFile(join(dataDir, "pglite.lock", "100"), `${child.pid} -\n`);
    const handle = await openDatabase(await fromTemplate());
    expect(await readdir(join(dataDir, "pglite.lock"))).toEqual(["101"]);
    await handle.close();
  });

  it("keeps every folder 0700 and every file 0600 after open, after writes and after close, even with umask 000", async () => {
    const umask = process.umask(0);
    try {
      await openWriteClose();
    } finally {
      process.umask(umask);
    }
  });

  async function openWriteClose(): Promise<void> {
    const handle = await openDatabase({ dataDir });
    expect(await count(dataDir)).toBeGreaterThan(100); // the check below looks at PGlite's whole cluster
    expect(await notPrivate(dataDir)).toEqual([]);
    await handle.db.insert(configs).values(Array.from({ length: 500 }, (_, i) => ({ name: `c${i}`, config: { i } })));
    await handle.db.execute(sql`create table scratch (id int primary key, body text)`);
    await handle.db.execute(sql`insert into scratch select g, repeat('x', 500) from generate_series(1, 20000) g`);
    await handle.db.execute(sql`vacuum analyze`);
    await handle.db.execute(sql`checkpoint`);
    expect(await notPrivate(dataDir)).toEqual([]);
    await handle.close();
    expect(await notPrivate(dataDir)).toEqual([]);
  }
});
