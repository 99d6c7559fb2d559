// The image half of the drift verdict: a satellite's desired images (every tag of every artifact
// of its groups) against what its latest heartbeat reports (cached images with digests, errors of
// its last pass). Pure; linear in the images of both sides.
//
// Names are matched as the satellite reports them: cached images as
// `host/repository:tag@sha256:…` (our satellite prefixes its registry's host), errors as
// `repository:tag`. A reported name matches a desired `repository:tag` when it is that name, or
// that name after a leading host component; desired repositories always carry their Harbor
// project (`project/name`), so the host is never confused with a project.
import { ImageDriftKind } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";

/** One group artifact as the fleet stores it. */
export interface DesiredArtifact {
  repository: string;
  tags: readonly string[];
  /** Pinned manifest digest; absent or empty when the artifact follows its tags. */
  digest?: string;
}

export interface DesiredGroupInput {
  name: string;
  artifacts: readonly DesiredArtifact[];
}

/** One image that is not as desired (or an error about something that is not a desired image). */
export interface ImageDriftEntry {
  /** `repository:tag`, or the reference the satellite reported for an error about no desired image. */
  reference: string;
  kind: ImageDriftKind;
  /** The pinned digest; "" when the image follows its tag (or for CONFLICT, where pins differ). */
  desiredDigest: string;
  /** The digest the satellite holds the tag at; "" when not cached. */
  cachedDigest: string;
  /** The satellite's error (ERROR) or the conflicting digests (CONFLICT); "" otherwise. */
  message: string;
  /** Groups wanting it, sorted; empty for an error about no desired image. */
  groups: string[];
}

export interface ImageComparison {
  /** Distinct desired `repository:tag`s. */
  desiredCount: number;
  /** Drifted images and stray errors, sorted by reference. */
  drift: ImageDriftEntry[];
}

interface Wanted {
  /** Pinned digests asked for ("" for tag-following). */
  digests: Set<string>;
  groups: Set<string>;
}

/** The union of the groups' images, per `repository:tag`. */
export function desiredImages(groups: readonly DesiredGroupInput[]): Map<string, Wanted> {
  const wanted = new Map<string, Wanted>();
  for (const group of groups) {
    for (const artifact of group.artifacts) {
      for (const tag of artifact.tags) {
        const name = `${artifact.repository}:${tag}`;
        let entry = wanted.get(name);
        if (!entry) wanted.set(name, (entry = { digests: new Set(), groups: new Set() }));
        entry.digests.add(artifact.digest ?? "");
        entry.groups.add(group.name);
      }
    }
  }
  return wanted;
}

/** `name` and, when it has a leading host component, the name without it. */
function namesOf(name: string): string[] {
  const slash = name.indexOf("/");
  return slash > 0 ? [name, name.slice(slash + 1)] : [name];
}

/** Cached images by the names a desired image may match, exact names first. */
function cachedByName(cached: readonly { reference: string }[]): Map<string, string> {
  const exact = new Map<string, string>();
  const stripped = new Map<string, string>();
  for (const { reference } of cached) {
    const at = reference.lastIndexOf("@");
    const name = at >= 0 ? reference.slice(0, at) : reference;
    const digest = at >= 0 ? reference.slice(at + 1) : "";
    const [full, short] = namesOf(name);
    exact.set(full, digest);
    if (short !== undefined && !stripped.has(short)) stripped.set(short, digest);
  }
  for (const [name, digest] of stripped) if (!exact.has(name)) exact.set(name, digest);
  return exact;
}

const byReference = (a: ImageDriftEntry, b: ImageDriftEntry) =>
  a.reference < b.reference ? -1 : a.reference > b.reference ? 1 : a.kind - b.kind;

/** Compares the groups' images with a heartbeat's cached images and errors. */
export function compareImages(
  groups: readonly DesiredGroupInput[],
  cached: readonly { reference: string }[],
  errors: readonly { reference: string; message: string }[],
): ImageComparison {
  const wanted = desiredImages(groups);
  const held = cachedByName(cached);

  // Errors by the desired image they name; the rest are about something else.
  const errorsOf = new Map<string, string[]>();
  const stray: ImageDriftEntry[] = [];
  for (const error of errors) {
    const name = namesOf(error.reference).find((n) => wanted.has(n));
    if (name === undefined) {
      stray.push({
        reference: error.reference,
        kind: ImageDriftKind.ERROR,
        desiredDigest: "",
        cachedDigest: "",
        message: error.message,
        groups: [],
      });
      continue;
    }
    const list = errorsOf.get(name) ?? [];
    list.push(error.message);
    errorsOf.set(name, list);
  }

  const drift: ImageDriftEntry[] = [];
  for (const [reference, want] of wanted) {
    const groupNames = [...want.groups].sort();
    const cachedDigest = held.get(reference);
    const messages = errorsOf.get(reference);
    const pins = [...want.digests].filter((d) => d !== "");
    const base = { reference, cachedDigest: cachedDigest ?? "", groups: groupNames };
    // Two different pins, or a pin and a tag-following artifact: the satellite copies neither.
    if (pins.length > 1 || (pins.length === 1 && want.digests.size > 1)) {
      drift.push({
        ...base,
        kind: ImageDriftKind.CONFLICT,
        desiredDigest: "",
        message: `groups want ${[...want.digests]
          .map((d) => d || "the tag")
          .sort()
          .join(" and ")}`,
      });
      continue;
    }
    const desiredDigest = pins[0] ?? "";
    if (messages) drift.push({ ...base, kind: ImageDriftKind.ERROR, desiredDigest, message: messages.join("; ") });
    else if (cachedDigest === undefined)
      drift.push({ ...base, kind: ImageDriftKind.MISSING, desiredDigest, message: "" });
    else if (desiredDigest !== "" && cachedDigest !== desiredDigest)
      drift.push({ ...base, kind: ImageDriftKind.WRONG_DIGEST, desiredDigest, message: "" });
  }
  drift.push(...stray);
  return { desiredCount: wanted.size, drift: drift.sort(byReference) };
}

/** "apps/nginx:1.27 missing", as the verdict's reason lists drifted images. */
export function describeImageDrift(entry: ImageDriftEntry): string {
  switch (entry.kind) {
    case ImageDriftKind.MISSING:
      return `${entry.reference} missing`;
    case ImageDriftKind.WRONG_DIGEST:
      return `${entry.reference} at ${shortDigest(entry.cachedDigest)}, not ${shortDigest(entry.desiredDigest)}`;
    case ImageDriftKind.CONFLICT:
      return `${entry.reference} pinned differently by ${entry.groups.join(", ")}`;
    default:
      return `${entry.reference}: ${entry.message.length > 200 ? `${entry.message.slice(0, 200)}…` : entry.message}`;
  }
}

/** `sha256:0123456789ab`: enough of a digest to tell it apart in a sentence. */
export function shortDigest(digest: string): string {
  if (digest === "") return "none";
  const colon = digest.indexOf(":");
  return digest.length > colon + 13 ? digest.slice(0, colon + 13) : digest;
}
