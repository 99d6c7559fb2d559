// Layer copies a closing sync window paused (issue 13), kept across restarts. A paused copy's
// temp file (its bytes fsynced by the worker) is renamed to `ingest/partial-<alg>-<hex>`, named by
// the digest it must hash to; its length is the kept offset. Start-up recovery keeps these files
// (and only these: every other leftover in ingest/ is of unknown state and goes, as always), and
// the next copy of that digest re-hashes the kept prefix and asks for the rest with one Range
// request. Nothing here trusts the bytes: the digest is checked over the whole blob before it is
// stored, so a torn or corrupt prefix ends in a digest mismatch, never in a served blob.
import { readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { isDigest, parseDigest } from "@harbor-satellite/oci";
import { fsyncDir } from "../fs/atomic-file.js";
import { BLOB_ALGORITHMS, type StorePaths } from "./paths.js";

const PARTIAL_PREFIX = "partial-";

export interface PartialFile {
  digest: string;
  /** Bytes kept: the file's size. */
  bytes: number;
  path: string;
}

/** `partial-sha256-<hex>` */
export function partialFileName(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${PARTIAL_PREFIX}${algorithm}-${hex}`;
}

/** The digest a kept partial's file name stands for; undefined when the name is not one. */
export function partialDigestOf(name: string): string | undefined {
  if (!name.startsWith(PARTIAL_PREFIX)) return undefined;
  const rest = name.slice(PARTIAL_PREFIX.length);
  const dash = rest.indexOf("-");
  const algorithm = rest.slice(0, dash);
  const digest = `${algorithm}:${rest.slice(dash + 1)}`;
  if (dash < 0 || !(BLOB_ALGORITHMS as readonly string[]).includes(algorithm) || !isDigest(digest)) return undefined;
  return digest;
}

/**
 * Renames a paused copy's file (already fsynced) to its digest's partial name and fsyncs the
 * folder, so the name survives a crash. Returns the new path (the same when it already had it).
 */
export async function keepPartialFile(paths: StorePaths, from: string, digest: string): Promise<string> {
  const to = join(paths.ingest, partialFileName(digest));
  if (from === to) return to;
  await rename(from, to);
  await fsyncDir(paths.ingest);
  return to;
}

/** The ingest/ entry `name` as a kept partial: a non-empty regular file with a partial name. */
async function partialFile(paths: StorePaths, name: string): Promise<PartialFile | undefined> {
  const digest = partialDigestOf(name);
  if (digest === undefined) return undefined;
  const path = join(paths.ingest, name);
  const info = await stat(path).catch(() => undefined);
  return info?.isFile() && info.size > 0 ? { digest, bytes: info.size, path } : undefined;
}

/** The kept partial files in ingest/ (non-empty regular files with a partial name). */
export async function listPartialFiles(paths: StorePaths): Promise<PartialFile[]> {
  const kept: PartialFile[] = [];
  for (const name of await readdir(paths.ingest)) {
    const partial = await partialFile(paths, name);
    if (partial) kept.push(partial);
  }
  return kept;
}

/**
 * Start-up: removes everything in ingest/ but kept partials of blobs not stored yet (an empty
 * one holds nothing worth keeping; one whose blob is stored was finished by another copy).
 */
export async function recoverIngest(
  paths: StorePaths,
  isStored: (digest: string) => Promise<boolean>,
): Promise<{ removed: number; kept: PartialFile[] }> {
  const names = await readdir(paths.ingest);
  const kept: PartialFile[] = [];
  let removed = 0;
  for (const name of names) {
    const partial = await partialFile(paths, name);
    if (partial && !(await isStored(partial.digest))) {
      kept.push(partial);
      continue;
    }
    await rm(join(paths.ingest, name), { recursive: true, force: true });
    removed++;
  }
  return { removed, kept };
}
