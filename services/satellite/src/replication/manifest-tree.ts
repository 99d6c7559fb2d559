// Resolves what one image needs: its manifest, every child of an index (kept whole, bytes and
// digests unchanged) or, with a platform filter, the one child for that platform, and the blobs
// all of them reference. Child manifests the store already holds in the repository are neither
// fetched nor walked: a stored manifest is complete.
import { parseManifest, referencedDescriptors, type Descriptor, type Manifest } from "@harbor-satellite/oci";
import { PlatformNotFoundError } from "./replication-error.js";
import { formatPlatform, matchesPlatform, type PlatformFilter } from "./platform.js";

export interface ResolvedImage {
  /** The manifest the local tag will point at (an index, or the picked platform manifest). */
  root: Manifest;
  /** Manifests to store before the root, children before parents. */
  children: Manifest[];
  /** Blobs referenced by the image manifests that were walked, each digest once. */
  blobs: Descriptor[];
}

export interface TreeSource {
  /** Fetches a manifest by digest (verified). */
  fetch(digest: string): Promise<Manifest>;
  /** True when the store already holds this manifest in the repository. */
  stored(digest: string): Promise<boolean>;
}

/** Indexes nest rarely and shallowly; deeper trees are refused rather than walked forever. */
const MAX_DEPTH = 4;

export async function resolveImage(
  top: Manifest,
  source: TreeSource,
  platform?: PlatformFilter,
): Promise<ResolvedImage> {
  const root = platform ? await pickPlatform(top, source, platform, 0) : top;
  const children: Manifest[] = [];
  const blobs = new Map<string, Descriptor>();
  await walk(root, source, children, blobs, 0);
  return { root, children, blobs: [...blobs.values()] };
}

async function pickPlatform(
  manifest: Manifest,
  source: TreeSource,
  platform: PlatformFilter,
  depth: number,
): Promise<Manifest> {
  const parsed = parseManifest(manifest.bytes, manifest.mediaType);
  if (parsed.kind !== "index") return manifest;
  if (depth >= MAX_DEPTH) throw new RangeError(`index nesting deeper than ${MAX_DEPTH}`);
  const child = parsed.manifest.manifests.find((d) => matchesPlatform(d.platform, platform));
  if (!child) throw new PlatformNotFoundError(formatPlatform(platform), manifest.digest);
  return pickPlatform(await source.fetch(child.digest), source, platform, depth + 1);
}

async function walk(
  manifest: Manifest,
  source: TreeSource,
  children: Manifest[],
  blobs: Map<string, Descriptor>,
  depth: number,
): Promise<void> {
  const parsed = parseManifest(manifest.bytes, manifest.mediaType);
  if (parsed.kind === "manifest") {
    for (const blob of referencedDescriptors(parsed)) if (!blobs.has(blob.digest)) blobs.set(blob.digest, blob);
    return;
  }
  if (depth >= MAX_DEPTH) throw new RangeError(`index nesting deeper than ${MAX_DEPTH}`);
  const wanted = unique(parsed.manifest.manifests);
  const present = await Promise.all(wanted.map((d) => source.stored(d.digest)));
  const fetched = await Promise.all(wanted.filter((_, i) => !present[i]).map((d) => source.fetch(d.digest)));
  for (const child of fetched) {
    await walk(child, source, children, blobs, depth + 1);
    children.push(child);
  }
}

function unique(descriptors: Descriptor[]): Descriptor[] {
  const seen = new Set<string>();
  return descriptors.filter((d) => !seen.has(d.digest) && seen.add(d.digest));
}
