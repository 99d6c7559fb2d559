// The content-addressed files under blobs/: install (rename into place), stat with a cache,
// read, remove and list. A file here has always been verified against its name before the
// rename that made it visible; nothing in this class hashes.
import { createReadStream } from "node:fs";
import { readdir, readFile, rename, rm, stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { isDigest } from "@harbor-satellite/oci";
import { OciError } from "@harbor-satellite/oci";
import type { BlobInfo, ByteRange } from "./content-store.js";
import { DirSync } from "./dir-sync.js";
import { BLOB_ALGORITHMS, type StorePaths } from "./paths.js";

/** Large reads: fewer syscalls and event-loop turns per served megabyte. */
export const READ_HIGH_WATER_MARK = 1 << 20;

export class BlobFiles {
  /** digest → size of blobs known to exist; filled lazily, dropped on remove. */
  private readonly sizes = new Map<string, number>();
  /** Folders holding renames installed with `folderSync: "deferred"` not yet fsynced. */
  private readonly unsynced = new Set<string>();

  constructor(
    private readonly paths: StorePaths,
    /** Renames installed at once share their folder's fsyncs. */
    private readonly dirSync = new DirSync(),
  ) {}

  path(digest: string): string {
    return this.paths.blob(digest);
  }

  /** Size of a blob from the cache, without touching the disk; undefined when not cached. */
  cachedSize(digest: string): number | undefined {
    return this.sizes.get(digest);
  }

  async stat(digest: string): Promise<BlobInfo | undefined> {
    const cached = this.sizes.get(digest);
    if (cached !== undefined) return { digest, size: cached };
    if (!isDigest(digest)) return undefined;
    try {
      const st = await stat(this.paths.blob(digest));
      if (!st.isFile()) return undefined;
      this.sizes.set(digest, st.size);
      return { digest, size: st.size };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Stats the file itself, not the cache (which it then corrects): for checks that must see the disk. */
  async restat(digest: string): Promise<BlobInfo | undefined> {
    this.sizes.delete(digest);
    return this.stat(digest);
  }

  /**
   * Moves a verified, fsynced temp file into place as `digest` and makes the rename durable (a
   * folder fsync begun after the rename, shared with the renames of blobs installed meanwhile).
   * With `folderSync: "deferred"` the rename is durable only after the next syncDeferred(), which
   * must run before anything that references the blob is committed (storeManifest does): the
   * replication engine's layers, so 200 of them cost one folder fsync, not one each.
   */
  async install(
    tempPath: string,
    digest: string,
    size: number,
    options: { folderSync?: "now" | "deferred" } = {},
  ): Promise<BlobInfo> {
    const target = this.paths.blob(digest);
    const folder = this.paths.blobDir(digest.slice(0, digest.indexOf(":")));
    // Renaming over an existing copy is safe: same name, same bytes. Readers keep the old inode.
    await rename(tempPath, target);
    if (options.folderSync === "deferred") this.unsynced.add(folder);
    else await this.dirSync.sync(folder);
    this.sizes.set(digest, size);
    return { digest, size };
  }

  /** Makes every deferred rename so far durable: one fsync (begun now) per folder holding some. */
  async syncDeferred(): Promise<void> {
    const folders = [...this.unsynced];
    this.unsynced.clear();
    try {
      await Promise.all(folders.map((folder) => this.dirSync.sync(folder)));
    } catch (error) {
      // Not durable after all: the next call tries again.
      for (const folder of folders) this.unsynced.add(folder);
      throw error;
    }
  }

  open(digest: string, size: number, range?: ByteRange): Readable {
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    return createReadStream(this.paths.blob(digest), {
      start,
      end: Math.max(end, start - 1),
      highWaterMark: READ_HIGH_WATER_MARK,
    });
  }

  async read(digest: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.paths.blob(digest));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async remove(digest: string): Promise<void> {
    this.sizes.delete(digest);
    await rm(this.paths.blob(digest), { force: true });
  }

  /** Moves a blob out of blobs/ (the scrub found it corrupt), keeping it for inspection. */
  async quarantine(digest: string): Promise<string> {
    this.sizes.delete(digest);
    const target = `${this.paths.quarantine}/${digest.replace(":", "-")}-${Date.now()}`;
    await rename(this.paths.blob(digest), target);
    await this.dirSync.sync(this.paths.blobDir(digest.slice(0, digest.indexOf(":"))));
    return target;
  }

  /** Every stored digest; names that are not digests (foreign files) are skipped. */
  async list(): Promise<string[]> {
    const out: string[] = [];
    for (const algorithm of BLOB_ALGORITHMS) {
      let names: string[];
      try {
        names = await readdir(this.paths.blobDir(algorithm));
      } catch (error) {
        if (isNotFound(error)) continue;
        throw error;
      }
      for (const name of names) {
        const digest = `${algorithm}:${name}`;
        if (isDigest(digest)) out.push(digest);
      }
    }
    return out;
  }

  /** Throws BLOB_UNKNOWN unless the blob is present. */
  async require(digest: string): Promise<BlobInfo> {
    const info = await this.stat(digest);
    if (!info) throw new OciError("BLOB_UNKNOWN", undefined, { digest });
    return info;
  }
}

export function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}
