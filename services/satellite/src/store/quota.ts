// The store quota's decision, free of I/O: given what every tagged image holds on disk, whether a
// group wants it, whether replication may evict it and when it was last pulled, which images go
// so the store fits its quota. Only images replication retained (no group wants them any more)
// are candidates: never pulled since tracking began first, then least recently pulled, ties by
// name. A wanted image is never a candidate, nor a tag someone pushed by hand. Bytes are counted
// once per file however many images share it, so evicting an image frees only what no remaining
// image references. When the wanted images alone exceed the quota, the plan says so (they stay).
// Before a pass fetches, the bytes it will add count as wanted too (incomingBytes).
// The byte-size entry alone: the package's index also loads the schema validator.
import { formatByteSize } from "@harbor-satellite/satellite-config/byte-size";

export interface ImageFootprint {
  /** `repository:tag` */
  name: string;
  /** Every blob and manifest file the image reaches, with its size in bytes. */
  files: ReadonlyMap<string, number>;
  /** A group wants it: never evicted. */
  desired: boolean;
  /** Replication retained it (no group wants it): it may be evicted. */
  evictable: boolean;
  /** Unix ms of its last pull through the local registry; undefined: not pulled since tracked. */
  lastPulledAt?: number;
}

export interface QuotaPlan {
  /** Images to evict, in order. */
  evict: string[];
  /** Bytes the tagged images hold now (each file once). */
  usedBytes: number;
  /** Bytes they hold once the evicted images' unshared files are collected. */
  afterBytes: number;
  /** Bytes the wanted images alone hold. */
  desiredBytes: number;
  quotaBytes: number;
  /** The wanted images alone exceed the quota: nothing wanted is evicted, and this says so. */
  tooSmall?: string;
}

/** Eviction candidates, first to go first. */
export function evictionOrder(images: readonly ImageFootprint[]): ImageFootprint[] {
  const never = Number.NEGATIVE_INFINITY;
  return images
    .filter((image) => image.evictable && !image.desired)
    .sort((a, b) => (a.lastPulledAt ?? never) - (b.lastPulledAt ?? never) || a.name.localeCompare(b.name));
}

/**
 * `incomingBytes`: what the pass is about to fetch (before fetching, fetch-plan.ts); the store
 * must fit it too, and the wanted images' needs include it. 0 at the end of a pass.
 */
export function planEviction(images: readonly ImageFootprint[], quotaBytes: number, incomingBytes = 0): QuotaPlan {
  const references = new Map<string, { size: number; count: number }>();
  for (const image of images)
    for (const [digest, size] of image.files) {
      const entry = references.get(digest);
      if (entry) entry.count++;
      else references.set(digest, { size, count: 1 });
    }
  const usedBytes = sumOf(references.values());
  const desiredBytes = unionBytes(images.filter((image) => image.desired));

  let afterBytes = usedBytes;
  const evict: string[] = [];
  for (const candidate of evictionOrder(images)) {
    if (afterBytes + incomingBytes <= quotaBytes) break;
    evict.push(candidate.name);
    for (const digest of candidate.files.keys()) {
      const entry = references.get(digest)!;
      if (--entry.count === 0) afterBytes -= entry.size;
    }
  }
  const plan: QuotaPlan = { evict, usedBytes, afterBytes, desiredBytes, quotaBytes };
  if (desiredBytes + incomingBytes > quotaBytes)
    plan.tooSmall = quotaTooSmallMessage(desiredBytes + incomingBytes, quotaBytes);
  return plan;
}

export function quotaTooSmallMessage(needs: number, quota: number): string {
  return `quota too small for the desired set (needs ${formatByteSize(needs)}, quota ${formatByteSize(quota)}; ${needs} > ${quota} bytes)`;
}

function unionBytes(images: readonly ImageFootprint[]): number {
  const sizes = new Map<string, number>();
  for (const image of images) for (const [digest, size] of image.files) sizes.set(digest, size);
  return sumOf([...sizes.values()].map((size) => ({ size })));
}

function sumOf(entries: Iterable<{ size: number }>): number {
  let total = 0;
  for (const { size } of entries) total += size;
  return total;
}
