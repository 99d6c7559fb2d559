// A group's artifacts as its group state lists them: artifacts without a tag filter as stored,
// filtered ones replaced by one entry per chosen tag, pinned to the digest Harbor reports for it
// (so the satellites replicate exactly what was resolved, even if the tag moves before they pull).
// Tags listed beside a filter stay as they are (following the tag), unless the filter chose them too.
import type { GroupArtifact } from "@harbor-satellite/db";
import { describeFilter, selectNewestTags, type TagFilter, type TagInfo } from "./tag-filter.js";

/** Lists a repository's tags in Harbor (through the registry service). */
export type ListTags = (repository: string) => Promise<TagInfo[]>;

/** A concrete group-state entry: what the registry service writes. */
export interface ResolvedArtifact {
  repository: string;
  tags: string[];
  digest?: string;
  type?: string;
}

/**
 * A filtered artifact matched no tag. The group state is then not published (the previous one
 * stays, so no satellite deletes anything because of it); the publish is retried, and the watcher
 * queues it again as soon as a matching tag appears.
 */
export class NoMatchingTagsError extends Error {
  constructor(
    readonly group: string,
    readonly repository: string,
    filter: TagFilter,
    tagCount: number,
  ) {
    super(
      `group ${group}: no tag of ${repository} matches ${describeFilter(filter)} (${tagCount} tags in Harbor); ` +
        "its group state is not published until one does, and satellites keep the last published one",
    );
    this.name = "NoMatchingTagsError";
  }
}

/** The artifact's filter, or undefined for a plain artifact. */
export function filterOf(artifact: GroupArtifact): TagFilter | undefined {
  if (artifact.tagRegex === undefined && artifact.semverRange === undefined) return undefined;
  return {
    ...(artifact.tagRegex !== undefined ? { tagRegex: artifact.tagRegex } : {}),
    ...(artifact.semverRange !== undefined ? { semverRange: artifact.semverRange } : {}),
    newestCount: artifact.newestCount ?? 1,
  };
}

export const hasTagFilters = (artifacts: readonly GroupArtifact[]): boolean =>
  artifacts.some((a) => filterOf(a) !== undefined);

/** Resolves every filtered artifact of `group` (one listing per repository); throws NoMatchingTagsError. */
export async function resolveGroupArtifacts(
  group: string,
  artifacts: readonly GroupArtifact[],
  listTags: ListTags,
): Promise<ResolvedArtifact[]> {
  const resolved: ResolvedArtifact[] = [];
  for (const artifact of artifacts) {
    const filter = filterOf(artifact);
    const type = artifact.type ?? "image";
    if (!filter) {
      resolved.push({ repository: artifact.repository, tags: artifact.tags, digest: artifact.digest, type });
      continue;
    }
    const listing = await listTags(artifact.repository);
    const chosen = selectNewestTags(filter, listing);
    if (chosen.length === 0) throw new NoMatchingTagsError(group, artifact.repository, filter, listing.length);
    const chosenNames = new Set(chosen.map((t) => t.name));
    const fixed = artifact.tags.filter((t) => !chosenNames.has(t));
    if (fixed.length > 0) resolved.push({ repository: artifact.repository, tags: fixed, type });
    for (const tag of chosen)
      resolved.push({ repository: artifact.repository, tags: [tag.name], digest: tag.digest, type });
  }
  return resolved;
}
