// Pure decisions of a replication pass: which desired images to look at (deduplicated, conflicts
// rejected), which owned images to untag, and whether an image is already up to date. Kept free
// of I/O so the rules are tested exhaustively.
import { imageName, type DesiredImage, type OwnedImage } from "./desired-image.js";

export interface PassPlan {
  /** Desired images, first occurrence of each `repository:tag` kept, in order. */
  images: DesiredImage[];
  /** `repository:tag` asked for twice with different digests; neither copy is attempted. */
  conflicts: string[];
  /** Images an earlier pass stored that are no longer desired. */
  untag: OwnedImage[];
}

export function planPass(desired: readonly DesiredImage[], owned: readonly OwnedImage[]): PassPlan {
  const byName = new Map<string, DesiredImage>();
  const conflicts = new Set<string>();
  for (const image of desired) {
    const name = imageName(image);
    const seen = byName.get(name);
    if (!seen) byName.set(name, image);
    else if (seen.digest !== image.digest) conflicts.add(name);
  }
  const images = [...byName.values()].filter((image) => !conflicts.has(imageName(image)));
  const wanted = new Set(byName.keys());
  const untag = owned.filter((image) => !wanted.has(imageName(image)));
  return { images, conflicts: [...conflicts], untag };
}

/**
 * True when the local tag already holds what `sourceDigest` (the upstream manifest, or the pinned
 * digest) resolves to: the same manifest, or the platform manifest an earlier pass picked from it.
 * A tagged manifest in the store is complete (the store refuses manifests with missing
 * references), so nothing more needs checking.
 */
export function isUpToDate(
  sourceDigest: string,
  localDigest: string | undefined,
  owned: OwnedImage | undefined,
): boolean {
  if (localDigest === undefined) return false;
  if (localDigest === sourceDigest) return true;
  return owned !== undefined && owned.sourceDigest === sourceDigest && owned.digest === localDigest;
}

/** Whether an owned image may be untagged: only while the tag still points where this pass put it. */
export function mayUntag(owned: OwnedImage, localDigest: string | undefined): boolean {
  return localDigest === owned.digest;
}

/** The owned set after a pass: what succeeded now, plus failed images still owned from before. */
export function nextOwned(
  previous: readonly OwnedImage[],
  succeeded: readonly OwnedImage[],
  failed: readonly string[],
  untagged: readonly string[],
): OwnedImage[] {
  const result = new Map<string, OwnedImage>();
  const failedSet = new Set(failed);
  const untaggedSet = new Set(untagged);
  for (const image of previous) {
    const name = imageName(image);
    if (failedSet.has(name) && !untaggedSet.has(name)) result.set(name, image);
  }
  for (const image of succeeded) result.set(imageName(image), image);
  return [...result.values()].sort((a, b) => imageName(a).localeCompare(imageName(b)));
}
