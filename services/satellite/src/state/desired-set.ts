// From group states to the images this satellite should hold, and what that means against what
// it holds now. The union over groups is taken per `repository:tag`; pinned digests are kept.
// Unlike the original, images of a group that was removed (or of an artifact dropped from a
// group) are deleted — unless another group still wants them, which the union takes care of.
import { imageName, type DesiredImage } from "../replication/desired-image.js";
import type { GroupArtifact } from "@harbor-satellite/state-artifact";

export interface GroupInput {
  group: string;
  /** Base URL of the registry the group's images come from (after any override). */
  registryUrl: string;
  artifacts: readonly GroupArtifact[];
}

export interface SkippedArtifact {
  group: string;
  repository: string;
  reason: string;
}

export interface DesiredSet {
  /**
   * Every wanted image, deduplicated. A `repository:tag` asked for with different digests (or
   * from different registries) appears once per variant and is listed in `conflicts`: the
   * replication engine then neither copies nor deletes it.
   */
  images: DesiredImage[];
  /** The same images grouped by the registry they come from, in group order. */
  upstreams: { registryUrl: string; images: DesiredImage[] }[];
  conflicts: { image: string; groups: string[] }[];
  skipped: SkippedArtifact[];
}

export function buildDesiredSet(groups: readonly GroupInput[]): DesiredSet {
  const variants = new Map<string, Map<string, { image: DesiredImage; registryUrl: string; groups: string[] }>>();
  const skipped: SkippedArtifact[] = [];
  for (const group of groups) {
    for (const artifact of group.artifacts) {
      if (artifact.deleted) {
        skipped.push({ group: group.group, repository: artifact.repository, reason: "marked deleted" });
        continue;
      }
      if (artifact.tags.length === 0) {
        skipped.push({ group: group.group, repository: artifact.repository, reason: "no tag" });
        continue;
      }
      for (const tag of artifact.tags) {
        const image: DesiredImage = artifact.digest
          ? { repository: artifact.repository, tag, digest: artifact.digest }
          : { repository: artifact.repository, tag };
        const name = imageName(image);
        const key = `${group.registryUrl}@${artifact.digest ?? ""}`;
        if (!variants.has(name)) variants.set(name, new Map());
        const seen = variants.get(name)!;
        const entry = seen.get(key) ?? { image, registryUrl: group.registryUrl, groups: [] };
        if (!entry.groups.includes(group.group)) entry.groups.push(group.group);
        seen.set(key, entry);
      }
    }
  }
  const images: DesiredImage[] = [];
  const byUpstream = new Map<string, DesiredImage[]>();
  const conflicts: DesiredSet["conflicts"] = [];
  for (const [name, seen] of variants) {
    const entries = [...seen.values()];
    if (entries.length > 1) conflicts.push({ image: name, groups: [...new Set(entries.flatMap((e) => e.groups))] });
    for (const entry of entries) {
      images.push(entry.image);
      if (!byUpstream.has(entry.registryUrl)) byUpstream.set(entry.registryUrl, []);
      byUpstream.get(entry.registryUrl)!.push(entry.image);
    }
  }
  return {
    images,
    upstreams: [...byUpstream].map(([registryUrl, list]) => ({ registryUrl, images: list })),
    conflicts,
    skipped,
  };
}

/** An image the satellite holds: `digest` is the upstream manifest it came from, when known. */
export interface CurrentImage {
  repository: string;
  tag: string;
  digest?: string;
}

export interface StatePlan {
  /** Wanted and not held. */
  add: DesiredImage[];
  /** Held, but pinned to another digest now. */
  changed: { from: CurrentImage; to: DesiredImage }[];
  /** Held and still wanted as is (tag-following images are re-checked upstream by the engine). */
  keep: DesiredImage[];
  /** Held and no longer wanted by any group. */
  remove: CurrentImage[];
  /** Wanted in conflicting ways: left as they are. */
  conflicts: string[];
}

export function planChanges(desired: readonly DesiredImage[], current: readonly CurrentImage[]): StatePlan {
  const wanted = new Map<string, DesiredImage[]>();
  for (const image of desired) {
    const name = imageName(image);
    const list = wanted.get(name) ?? [];
    if (!list.some((i) => i.digest === image.digest)) list.push(image);
    wanted.set(name, list);
  }
  const held = new Map(current.map((image) => [imageName(image), image]));
  const plan: StatePlan = { add: [], changed: [], keep: [], remove: [], conflicts: [] };
  for (const [name, list] of wanted) {
    if (list.length > 1) {
      plan.conflicts.push(name);
      continue;
    }
    const [image] = list;
    const have = held.get(name);
    if (!have) plan.add.push(image);
    else if (image.digest && have.digest && image.digest !== have.digest) plan.changed.push({ from: have, to: image });
    else plan.keep.push(image);
  }
  for (const [name, image] of held) if (!wanted.has(name)) plan.remove.push(image);
  return plan;
}
