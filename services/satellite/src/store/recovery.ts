// Start-up: create the layout if it is new, remove what a crash left behind (everything in
// ingest/ but paused copies' partial files: half-written blobs, temp files, upload sessions;
// partial-blobs.ts recoverIngest), and read index.json back into
// memory. A descriptor whose manifest is missing, does not hash to its digest, or does not parse
// is dropped with a warning rather than served; nothing valid is ever dropped.
import { mkdir, readFile } from "node:fs/promises";
import { digestOf, parseDigest } from "@harbor-satellite/oci";
import type { Logger } from "pino";
import { writeFileAtomic } from "../fs/atomic-file.js";
import type { BlobFiles } from "./blob-files.js";
import { isNotFound } from "./blob-files.js";
import type { ManifestCache } from "./manifest-cache.js";
import { manifestInfo, type ManifestInfo } from "./manifest-info.js";
import { BLOB_ALGORITHMS, LAYOUT_CONTENT, type StorePaths } from "./paths.js";
import { RepositoryIndex, parseIndexFile } from "./repository-index.js";

/** Creates the folders and the oci-layout marker, if missing. */
export async function prepareLayout(paths: StorePaths): Promise<void> {
  for (const algorithm of BLOB_ALGORITHMS) await mkdir(paths.blobDir(algorithm), { recursive: true });
  await mkdir(paths.ingest, { recursive: true });
  await mkdir(paths.quarantine, { recursive: true });
  let layout: string | undefined;
  try {
    layout = await readFile(paths.layout, "utf8");
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  if (layout === undefined) await writeFileAtomic(paths.layout, LAYOUT_CONTENT, { tempDir: paths.ingest });
}

export interface LoadedIndex {
  index: RepositoryIndex;
  /** The index.json text as read, or undefined when there was none. */
  text: string | undefined;
  /** Descriptors that were dropped; when non-zero, index.json should be rewritten. */
  dropped: number;
}

/** Reads index.json and every manifest it names into a RepositoryIndex. */
export async function loadIndex(
  paths: StorePaths,
  files: BlobFiles,
  cache: ManifestCache,
  logger: Logger,
): Promise<LoadedIndex> {
  const index = new RepositoryIndex();
  let text: string | undefined;
  try {
    text = await readFile(paths.index, "utf8");
  } catch (error) {
    if (isNotFound(error)) return { index, text: undefined, dropped: 0 };
    throw error;
  }
  // index.json is only ever replaced by rename, so a parse error is not a torn write: refuse to
  // start rather than serve (and later rewrite) a store with its tags forgotten.
  const parsed = parseIndexFile(text);
  index.foreign = parsed.foreign;
  const infos = new Map<string, ManifestInfo | undefined>();
  let dropped = 0;
  const now = Date.now();
  for (const entry of parsed.entries) {
    if (!infos.has(entry.digest))
      infos.set(entry.digest, await readInfo(entry.digest, entry.mediaType, files, cache, logger));
    const info = infos.get(entry.digest);
    if (!info) {
      dropped++;
      continue;
    }
    const repo = index.ensure(entry.repository);
    repo.addManifest(info, entry.mediaType, now, false);
    if (entry.tag !== undefined) repo.setTag(entry.tag, entry.digest);
  }
  index.namesChanged();
  return { index, text, dropped };
}

async function readInfo(
  digest: string,
  mediaType: string,
  files: BlobFiles,
  cache: ManifestCache,
  logger: Logger,
): Promise<ManifestInfo | undefined> {
  const bytes = await files.read(digest);
  if (!bytes) {
    logger.warn({ digest }, "index.json names a manifest that is not stored; dropping it");
    return undefined;
  }
  // Manifests are small: checking them at start-up is cheap, and a corrupt one is never served.
  const actual = digestOf(bytes, parseDigest(digest).algorithm);
  if (actual !== digest) {
    logger.warn({ digest, actual }, "stored manifest does not match its digest; dropping it");
    return undefined;
  }
  try {
    const info = manifestInfo(digest, bytes, mediaType);
    cache.set(digest, bytes);
    return info;
  } catch (error) {
    logger.warn({ digest, err: error }, "stored manifest does not parse; dropping it");
    return undefined;
  }
}
