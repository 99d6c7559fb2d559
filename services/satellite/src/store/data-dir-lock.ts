// One process owns a data dir: two would each keep their own picture of index.json in memory and
// overwrite each other's tags. The lock is @harbor-satellite/dir-lock's (exactly one of processes
// starting at once wins; a holder gone after kill -9 or power loss is taken over), in the folder
// `satellite.lock` inside the data dir, the only place a read-only root leaves writable. Versions
// before it wrote a pid file of that name: a live writer of one still owns the store; a dead
// one's file is replaced by the folder.
import { readFile, rm } from "node:fs/promises";
import { describeHolder, DirectoryLockedError, isRunning, lockDirectory } from "@harbor-satellite/dir-lock";

export class DataDirLockedError extends Error {
  constructor(
    readonly root: string,
    readonly pid: number | undefined,
  ) {
    super(`data dir ${root} is in use by ${describeHolder(pid)}; stop it first (one process per data dir)`);
    this.name = "DataDirLockedError";
  }
}

export async function acquireDataDirLock(lockPath: string, root: string): Promise<() => Promise<void>> {
  await retireLegacyPidFile(lockPath, root);
  try {
    const lock = await lockDirectory(root, { lockPath });
    return () => lock.release();
  } catch (error) {
    if (error instanceof DirectoryLockedError) throw new DataDirLockedError(root, error.pid);
    throw error;
  }
}

async function retireLegacyPidFile(lockPath: string, root: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(lockPath, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EISDIR") return; // no lock yet, or already a lock folder
    throw error;
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && (await isRunning({ pid })))
    throw new DataDirLockedError(root, pid);
  await rm(lockPath, { force: true });
}
