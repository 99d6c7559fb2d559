// Shared pieces of the replication fault tests.
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

/** Polls `check` every 10 ms until it is true; fails after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Bytes in the store's ingest folder (in-flight writes), 0 when it does not exist yet. */
export async function ingestBytes(dataDir: string): Promise<number> {
  let total = 0;
  try {
    for (const name of await readdir(join(dataDir, "ingest")))
      total += (await stat(join(dataDir, "ingest", name)).catch(() => ({ size: 0 }))).size;
  } catch {
    return 0;
  }
  return total;
}

/** Blobs committed to the store (files under blobs/sha256). */
export async function committedBlobs(dataDir: string): Promise<string[]> {
  try {
    return (await readdir(join(dataDir, "blobs", "sha256"))).map((hex) => `sha256:${hex}`);
  } catch {
    return [];
  }
}

/** Bytes on disk in the store's blobs and ingest folders: how far a copy has got. */
export async function bytesOnDisk(dataDir: string): Promise<number> {
  let total = await ingestBytes(dataDir);
  for (const digest of await committedBlobs(dataDir))
    total += (await stat(join(dataDir, "blobs", "sha256", digest.slice(7))).catch(() => ({ size: 0 }))).size;
  return total;
}
