// Opening a data dir: lock it, recover from whatever the last process left, load the index.
// Opens of one root within a process share one store (the satellite agent's registry and its
// replication engine must see the same tags), released when the last holder closes it.
import { mkdir, realpath } from "node:fs/promises";
import { resolve } from "node:path";
import { pino, type Logger } from "pino";
import { BlobFiles } from "./blob-files.js";
import { acquireDataDirLock } from "./data-dir-lock.js";
import { FsContentStore } from "./fs-content-store.js";
import { ManifestCache } from "./manifest-cache.js";
import { storePaths } from "./paths.js";
import { recoverIngest } from "./partial-blobs.js";
import { loadIndex, prepareLayout } from "./recovery.js";

export interface OpenStoreOptions {
  /** The data dir; created when missing. */
  root: string;
  logger?: Logger;
  /** How long GC spares blobs and manifests a push may still claim. Default one hour. */
  gcGraceMs?: number;
  /** Bytes of manifests kept in memory. Default 64 MiB. */
  manifestCacheBytes?: number;
}

export const DEFAULT_GC_GRACE_MS = 60 * 60 * 1000;
export const DEFAULT_MANIFEST_CACHE_BYTES = 64 << 20;

// Keyed by real path: one store object per data dir per process (see the header).
const openStores = new Map<string, Promise<FsContentStore>>();

export async function openContentStore(options: OpenStoreOptions): Promise<FsContentStore> {
  await mkdir(options.root, { recursive: true });
  const root = await realpath(resolve(options.root));
  let opening = openStores.get(root);
  if (!opening) {
    opening = openFresh(root, options, () => openStores.delete(root));
    openStores.set(root, opening);
    opening.catch(() => openStores.delete(root));
  }
  const store = await opening;
  store.retain();
  return store;
}

async function openFresh(root: string, options: OpenStoreOptions, onClosed: () => void): Promise<FsContentStore> {
  const logger = options.logger ?? pino({ level: "silent" });
  const paths = storePaths(root);
  await prepareLayout(paths);
  const release = await acquireDataDirLock(paths.lock, root);
  try {
    const files = new BlobFiles(paths);
    // Paused copies' partial files stay (partial-blobs.ts); every other leftover goes.
    const ingest = await recoverIngest(paths, async (digest) => (await files.stat(digest)) !== undefined);
    const cache = new ManifestCache(options.manifestCacheBytes ?? DEFAULT_MANIFEST_CACHE_BYTES);
    const loaded = await loadIndex(paths, files, cache, logger);
    const store = new FsContentStore({
      paths,
      files,
      index: loaded.index,
      cache,
      logger,
      gcGraceMs: options.gcGraceMs ?? DEFAULT_GC_GRACE_MS,
      release: async () => {
        onClosed();
        await release();
      },
    });
    if (loaded.text !== undefined) store.markIndexWritten(loaded.text);
    if (loaded.dropped > 0 || loaded.text === undefined) await store.persistIndex();
    logger.info(
      {
        root,
        repositories: loaded.index.names().length,
        leftovers: ingest.removed,
        partials: ingest.kept.length,
        dropped: loaded.dropped,
      },
      "content store open",
    );
    return store;
  } catch (error) {
    await release();
    throw error;
  }
}
