// Repository names, tags and image references (OCI distribution spec grammar).
import { isDigest } from "./digest.js";

/** `<name>` from the distribution spec: path components joined by `/`. */
export const REPOSITORY_PATTERN = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
export const TAG_PATTERN = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** Distribution caps a repository name (with its registry host) at 255 characters. */
export const MAX_REPOSITORY_LENGTH = 255;

export function isRepositoryName(name: string): boolean {
  return name.length <= MAX_REPOSITORY_LENGTH && REPOSITORY_PATTERN.test(name);
}

export function isTag(tag: string): boolean {
  return TAG_PATTERN.test(tag);
}

/** A manifest reference in a URL: a tag or a digest. */
export function isManifestReference(reference: string): boolean {
  return isTag(reference) || isDigest(reference);
}

/** An image named as `[registry/]repository[:tag][@digest]`. */
export interface ImageReference {
  /** Host and optional port, when the reference named one. */
  readonly registry?: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

export class InvalidReferenceError extends Error {
  constructor(
    readonly value: string,
    reason: string,
  ) {
    super(`invalid image reference ${JSON.stringify(value.slice(0, 300))}: ${reason}`);
    this.name = "InvalidReferenceError";
  }
}

/**
 * Parses `repo:tag`, `repo@digest`, `host:port/repo:tag@digest`. The first path component is a
 * registry when it contains `.` or `:` or is `localhost`, as Docker decides it.
 */
export function parseImageReference(value: string): ImageReference {
  let rest = value;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) throw new InvalidReferenceError(value, "bad digest");
  }
  let registry: string | undefined;
  const slash = rest.indexOf("/");
  if (slash > 0) {
    const first = rest.slice(0, slash);
    if (first.includes(".") || first.includes(":") || first === "localhost") {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isTag(tag)) throw new InvalidReferenceError(value, "bad tag");
  }
  if (!isRepositoryName(rest)) throw new InvalidReferenceError(value, "bad repository name");
  if (!tag && !digest) throw new InvalidReferenceError(value, "needs a tag or a digest");
  return { registry, repository: rest, tag, digest };
}

/** Formats a reference back to `[registry/]repository[:tag][@digest]`. */
export function formatImageReference(ref: ImageReference): string {
  return `${ref.registry ? `${ref.registry}/` : ""}${ref.repository}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}
