// Before a runtime config is edited, a copy goes beside it as `<file>.bak.YYYYMMDDTHHMMSS` (the
// original's naming), mode kept, so an operator can always roll back by hand.
import { constants } from "node:fs";
import { copyFile, stat } from "node:fs/promises";

function stamp(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}Z$/, "");
}

/** Copies `path` to a fresh backup and returns its path; undefined when `path` does not exist. */
export async function backupFile(path: string, now: Date = new Date()): Promise<string | undefined> {
  try {
    await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const base = `${path}.bak.${stamp(now)}`;
  for (let n = 0; n < 1000; n++) {
    const target = n === 0 ? base : `${base}.${n}`;
    try {
      await copyFile(path, target, constants.COPYFILE_EXCL);
      return target;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  throw new Error(`too many backups of ${path} in one second`);
}
