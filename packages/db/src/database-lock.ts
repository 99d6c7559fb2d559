// The embedded database's folder belongs to one Ground Control (the lock mechanism is
// @harbor-satellite/dir-lock's); this says a refusal in an operator's words.
import { describeHolder, DirectoryLockedError, lockDirectory, type DirectoryLock } from "@harbor-satellite/dir-lock";

/** Another process (or this one) already has the database directory open. */
export class DatabaseLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly lockPath: string,
    /** The holder's pid; undefined when the lock kept changing hands while we looked. */
    readonly pid: number | undefined,
  ) {
    super(
      `database directory ${dir} is in use by ${describeHolder(pid)}: stop that Ground Control first or give this one another --data-dir ` +
        `(one process per data dir; if no such process runs, remove ${lockPath})`,
    );
    this.name = "DatabaseLockedError";
  }
}

/** Takes `<dir>.lock` or throws DatabaseLockedError. */
export async function lockDatabaseDirectory(dir: string): Promise<DirectoryLock> {
  try {
    return await lockDirectory(dir);
  } catch (error) {
    if (error instanceof DirectoryLockedError) throw new DatabaseLockedError(error.dir, error.lockPath, error.pid);
    throw error;
  }
}
