// One process owns a data dir: two would each keep their own picture of index.json in memory and
// overwrite each other's tags. The lock file holds the owner's pid. A lock left by a process that
// is gone (kill -9, power loss) is taken over; so is one holding our own pid, which can only be a
// previous life of this process (a container restarted as pid 1), since opens within one
// process share one store.
import { readFile, rm } from "node:fs/promises";
import { writeFileAtomic } from "../fs/atomic-file.js";

export class DataDirLockedError extends Error {
  constructor(
    readonly root: string,
    readonly pid: number,
  ) {
    super(`data dir ${root} is in use by process ${pid}; stop it first (one process per data dir)`);
    this.name = "DataDirLockedError";
  }
}

export async function acquireDataDirLock(lockPath: string, root: string, tempDir: string): Promise<() => Promise<void>> {
  const holder = await readHolder(lockPath);
  if (holder !== undefined && holder !== process.pid && isAlive(holder)) throw new DataDirLockedError(root, holder);
  await writeFileAtomic(lockPath, `${process.pid}\n`, { tempDir });
  return async () => {
    if ((await readHolder(lockPath)) === process.pid) await rm(lockPath, { force: true });
  };
}

async function readHolder(lockPath: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(lockPath, "utf8")).trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else, so it is alive.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
