// What a replication pass is asked for: images by repository and tag, optionally pinned to a
// digest, and the images an earlier pass put in the store (so a pass can untag what is no longer
// wanted without touching tags it did not write).
import { isDigest, isRepositoryName, isTag } from "@harbor-satellite/oci";

export interface DesiredImage {
  repository: string;
  tag: string;
  /** When set, this manifest is copied (fetched by digest) whatever the upstream tag points at. */
  digest?: string;
}

/** An image a pass stored: what the local tag points at, and the upstream manifest it came from. */
export interface OwnedImage {
  repository: string;
  tag: string;
  /** Digest of the manifest the local tag points at. */
  digest: string;
  /** Digest of the upstream manifest it was resolved from (differs when a platform was picked). */
  sourceDigest: string;
}

export class InvalidImageError extends Error {
  constructor(
    readonly value: string,
    reason: string,
  ) {
    super(`invalid image ${JSON.stringify(value.slice(0, 300))}: ${reason}`);
    this.name = "InvalidImageError";
  }
}

/** `repository:tag` — how results, logs and errors name an image. */
export function imageName(image: { repository: string; tag: string }): string {
  return `${image.repository}:${image.tag}`;
}

/** Parses `REPO:TAG` or `REPO:TAG@sha256:…` (no registry host: the upstream is given apart). */
export function parseDesiredImage(value: string): DesiredImage {
  const at = value.indexOf("@");
  const digest = at >= 0 ? value.slice(at + 1) : undefined;
  const name = at >= 0 ? value.slice(0, at) : value;
  if (digest !== undefined && !isDigest(digest)) throw new InvalidImageError(value, "bad digest");
  const colon = name.lastIndexOf(":");
  if (colon <= 0 || colon < name.lastIndexOf("/")) throw new InvalidImageError(value, "needs REPOSITORY:TAG");
  const repository = name.slice(0, colon);
  const tag = name.slice(colon + 1);
  if (!isRepositoryName(repository)) throw new InvalidImageError(value, "bad repository name");
  if (!isTag(tag)) throw new InvalidImageError(value, "bad tag");
  return digest ? { repository, tag, digest } : { repository, tag };
}
