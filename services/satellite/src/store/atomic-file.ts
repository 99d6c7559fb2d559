// Durable file replacement: write a temp file in the same folder, fsync it, rename it over the
// target, fsync the folder. A reader (or a process restarted after kill -9) sees either the old
// file or the new one, never a prefix of the new one.
import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";

/** fsyncs a folder so a rename or unlink inside it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `path` with `data` atomically and durably. `tempDir` must be on the same filesystem;
 * the store passes its ingest folder so start-up recovery finds any leftover in one place.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, tempDir = dirname(path)): Promise<void> {
  const dir = dirname(path);
  const tmp = join(tempDir, `atomic-${randomBytes(8).toString("hex")}`);
  const handle = await open(tmp, "wx");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(tmp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  await fsyncDir(dir);
}
