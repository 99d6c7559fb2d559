// Garbage collection, mark and sweep. Roots are tags (a tag-schema tag such as cosign's
// `sha256-<hex>.sig` only while its subject is held), plus whatever a push still under way may
// need (pending untagged manifests, uploads, freshly committed blobs, all within a grace
// period) and what foreign index.json descriptors reach. From each root: an index reaches its
// children, a manifest its config and layers, and any manifest the manifests whose subject it
// is (referrers). Unreached manifests leave their repository; then every blob file nothing
// reached is deleted. The caller holds the store's lock exclusively, so no write interleaves.
import { tagSchemaSubject, type Descriptor } from "@harbor-satellite/oci";
import type { Logger } from "pino";
import type { BlobFiles } from "./blob-files.js";
import type { IndexFile } from "./index-file.js";
import type { ManifestCache } from "./manifest-cache.js";
import { manifestInfo } from "./manifest-info.js";
import type { Repository } from "./repository.js";
import type { RepositoryIndex } from "./repository-index.js";
import { recordGarbageCollection } from "../telemetry/store-metrics.js";

export interface MarkResult {
  /** Digests of blobs and manifests that stay. */
  live: Set<string>;
  /** Untagged manifests nothing reaches, per repository. */
  deadManifests: { repository: string; digest: string }[];
  /** Uploads or mounts never claimed by a manifest, older than the grace period. */
  expiredUploads: { repository: string; digest: string }[];
}

/**
 * The mark phase over the in-memory index; synchronous, so it sees one consistent state. Tags are
 * roots, except tag-schema tags (tagSchemaSubject): those are roots only while their subject is
 * held — reached from another root in any repository (a signature may live in its own repository,
 * as with COSIGN_REPOSITORY) — so a signature, attestation or SBOM goes with the image it is for,
 * tag and all, instead of keeping itself alive after its image left the store or was never tagged.
 */
export function markLive(index: RepositoryIndex, now: number, graceMs: number): MarkResult {
  const result: MarkResult = { live: new Set(), deadManifests: [], expiredUploads: [] };
  const young = (since: number | undefined) => since !== undefined && now - since < graceMs;
  const repos = [...index.all()];
  /** Manifests reached, per repository, and in any repository. */
  const reached = new Map<Repository, Set<string>>(repos.map((repo) => [repo, new Set()]));
  const held = new Set<string>();
  const mark = (repo: Repository, roots: string[]) => {
    const seen = reached.get(repo)!;
    const stack = [...roots];
    while (stack.length > 0) {
      const digest = stack.pop() as string;
      if (seen.has(digest)) continue;
      const membership = repo.manifests.get(digest);
      if (!membership) continue;
      seen.add(digest);
      held.add(digest);
      result.live.add(digest);
      for (const blob of membership.info.blobs) result.live.add(blob);
      for (const child of membership.info.children) stack.push(child);
      for (const referrer of repo.referrers.get(digest) ?? []) stack.push(referrer);
    }
  };
  for (const repo of repos) {
    const roots = [...repo.tags].filter(([tag]) => tagSchemaSubject(tag) === undefined).map(([, digest]) => digest);
    for (const [digest, m] of repo.manifests) if (young(m.pendingSince)) roots.push(digest);
    mark(repo, roots);
  }
  // Tag-schema tags of held subjects, until nothing new is held (a signature of an attestation).
  for (let grew = true; grew;) {
    grew = false;
    for (const repo of repos)
      for (const [tag, digest] of repo.tags) {
        const subject = tagSchemaSubject(tag);
        if (subject === undefined || !held.has(subject) || reached.get(repo)!.has(digest)) continue;
        mark(repo, [digest]);
        grew = true;
      }
  }
  for (const repo of repos) {
    const seen = reached.get(repo)!;
    for (const digest of repo.manifests.keys()) {
      if (!seen.has(digest)) result.deadManifests.push({ repository: repo.name, digest });
    }
    for (const [digest, since] of repo.uploads) {
      if (young(since)) result.live.add(digest);
      else result.expiredUploads.push({ repository: repo.name, digest });
    }
  }
  return result;
}

/** Adds to `live` everything foreign index.json descriptors reach (their manifests are read). */
export async function markForeign(foreign: readonly Descriptor[], files: BlobFiles, live: Set<string>): Promise<void> {
  const stack = foreign.map((d) => ({ digest: d.digest, mediaType: d.mediaType as string | undefined }));
  while (stack.length > 0) {
    const { digest, mediaType } = stack.pop()!;
    if (live.has(digest)) continue;
    live.add(digest);
    const bytes = await files.read(digest);
    if (!bytes) continue;
    try {
      const info = manifestInfo(digest, bytes, mediaType);
      for (const blob of info.blobs) live.add(blob);
      for (const child of info.children) stack.push({ digest: child, mediaType: undefined });
    } catch {
      // Not a manifest (a foreign tool may list any blob): it is kept, and reaches nothing.
    }
  }
}

/** Deletes every blob file not in `live` and not protected; returns what went. */
export async function sweepBlobs(
  files: BlobFiles,
  live: Set<string>,
  isProtected: (digest: string) => boolean,
): Promise<{ removedBlobs: number; freedBytes: number }> {
  let removedBlobs = 0;
  let freedBytes = 0;
  for (const digest of await files.list()) {
    if (live.has(digest) || isProtected(digest)) continue;
    const info = await files.stat(digest);
    await files.remove(digest);
    removedBlobs++;
    freedBytes += info?.size ?? 0;
  }
  return { removedBlobs, freedBytes };
}

/** What one collection reads and changes; the caller holds the store's lock exclusively. */
export interface GcParts {
  index: RepositoryIndex;
  files: BlobFiles;
  indexFile: IndexFile;
  cache: ManifestCache;
  logger: Logger;
}

/**
 * Mark, then sweep: dead manifests and expired uploads leave the index (persisted before any file
 * goes), then blobs nothing live names are removed. `recentBlobs` (digest → install time) keeps a
 * blob installed within the grace period, which a manifest being written may be about to name.
 */
export async function collectGarbage(
  parts: GcParts,
  recentBlobs: Map<string, number>,
  graceMs: number,
): Promise<{ removedBlobs: number; freedBytes: number; removedManifests: number }> {
  const { index, files, indexFile, cache, logger } = parts;
  const started = performance.now();
  const now = Date.now();
  const marked = markLive(index, now, graceMs);
  for (const { repository, digest } of marked.deadManifests) index.get(repository)?.removeManifest(digest);
  for (const { repository, digest } of marked.expiredUploads) index.get(repository)?.uploads.delete(digest);
  for (const repo of [...index.all()]) index.dropIfEmpty(repo.name);
  index.namesChanged();
  // index.json must stop naming a manifest before its file goes.
  await indexFile.persist();
  await markForeign(index.foreign, files, marked.live);
  for (const [digest, since] of recentBlobs) if (now - since >= graceMs) recentBlobs.delete(digest);
  const swept = await sweepBlobs(files, marked.live, (digest) => recentBlobs.has(digest));
  for (const { digest } of marked.deadManifests) if (!marked.live.has(digest)) cache.delete(digest);
  logger.info({ ...swept, removedManifests: marked.deadManifests.length }, "garbage collected");
  recordGarbageCollection({ ...swept, seconds: (performance.now() - started) / 1000 });
  return { ...swept, removedManifests: marked.deadManifests.length };
}
