// Bytes the satellite's data dir occupies on disk (allocated blocks, each hard-linked file
// counted once), walked asynchronously so the agent's event loop keeps serving meanwhile.
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";

export async function directoryUsage(root: string): Promise<number> {
  const seen = new Set<string>();
  let bytes = 0;
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      // A folder removed while walking (GC, temp files) is simply not there any more.
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      let info;
      try {
        info = await lstat(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw error;
      }
      const key = `${info.dev}:${info.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
      bytes += info.blocks * 512;
      if (info.isDirectory()) await walk(path);
    }
  };
  await walk(root);
  return bytes;
}
