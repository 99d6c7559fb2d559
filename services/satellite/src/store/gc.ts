// Garbage collection, mark and sweep. Roots are tags, plus whatever a push still under way may
// need (pending untagged manifests, uploads, freshly committed blobs, all within a grace
// period) and what foreign index.json descriptors reach. From each root: an index reaches its
// children, a manifest its config and layers, and any manifest the manifests whose subject it
// is (referrers). Unreached manifests leave their repository; then every blob file nothing
// reached is deleted. The caller holds the store's lock exclusively, so no write interleaves.
import type { Descriptor } from "@harbor-satellite/oci";
import type { BlobFiles } from "./blob-files.js";
import { manifestInfo } from "./manifest-info.js";
import type { RepositoryIndex } from "./repository-index.js";

export interface MarkResult {
  /** Digests of blobs and manifests that stay. */
  live: Set<string>;
  /** Untagged manifests nothing reaches, per repository. */
  deadManifests: { repository: string; digest: string }[];
  /** Uploads or mounts never claimed by a manifest, older than the grace period. */
  expiredUploads: { repository: string; digest: string }[];
}

/** The mark phase over the in-memory index; synchronous, so it sees one consistent state. */
export function markLive(index: RepositoryIndex, now: number, graceMs: number): MarkResult {
  const result: MarkResult = { live: new Set(), deadManifests: [], expiredUploads: [] };
  const young = (since: number | undefined) => since !== undefined && now - since < graceMs;
  for (const repo of index.all()) {
    const reached = new Set<string>();
    const stack = [...repo.tags.values()];
    for (const [digest, m] of repo.manifests) if (young(m.pendingSince)) stack.push(digest);
    while (stack.length > 0) {
      const digest = stack.pop() as string;
      if (reached.has(digest)) continue;
      const membership = repo.manifests.get(digest);
      if (!membership) continue;
      reached.add(digest);
      result.live.add(digest);
      for (const blob of membership.info.blobs) result.live.add(blob);
      for (const child of membership.info.children) stack.push(child);
      for (const referrer of repo.referrers.get(digest) ?? []) stack.push(referrer);
    }
    for (const digest of repo.manifests.keys()) {
      if (!reached.has(digest)) result.deadManifests.push({ repository: repo.name, digest });
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
