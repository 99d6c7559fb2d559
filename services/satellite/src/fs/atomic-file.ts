// Durable, atomic file replacement for everything the satellite writes whole (config.json,
// state.json, the store's index.json and lock): write a temp file (beside the target, or in a
// folder on the same filesystem) with its final mode, fsync, rename over the target, fsync the
// folder. A reader, or a process restarted after a crash at any instant, sees the old file or the
// new one, never a prefix. A crash can leave a temp file behind; `removeStaleTempFiles` (or the
// store's recovery of its ingest folder) clears them at start-up.
import { randomBytes } from "node:crypto";
import { open, readdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export interface AtomicWriteOptions {
  /** File mode from creation on (no window with wider permissions). Default: 0o666 less the umask. */
  mode?: number;
  /** Where the temp file goes (same filesystem as the target); default beside the target. */
  tempDir?: string;
  /** Test hook: runs after the temp file is durable and before the rename. */
  beforeRename?: (tempPath: string) => Promise<void>;
}

const TEMP_MARK = ".tmp-";

function tempPathFor(path: string, tempDir?: string): string {
  const suffix = randomBytes(6).toString("hex");
  return tempDir ? join(tempDir, `atomic-${suffix}`) : join(dirname(path), `.${basename(path)}${TEMP_MARK}${suffix}`);
}

/** fsyncs a folder so a rename or unlink inside it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const { mode } = options;
  const temp = tempPathFor(path, options.tempDir);
  const handle = await open(temp, "wx", mode);
  try {
    await handle.writeFile(data);
    // The umask may have narrowed an explicit mode: make it exact.
    if (mode !== undefined) await handle.chmod(mode);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    if (options.beforeRename) await options.beforeRename(temp);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncDir(dirname(path));
}

/** Removes temp files a crash left beside `path`; returns how many. */
export async function removeStaleTempFiles(path: string): Promise<number> {
  const prefix = `.${basename(path)}${TEMP_MARK}`;
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
  const stale = names.filter((name) => name.startsWith(prefix));
  await Promise.all(stale.map((name) => rm(join(dirname(path), name), { force: true })));
  return stale.length;
}
