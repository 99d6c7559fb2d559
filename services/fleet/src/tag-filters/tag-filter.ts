// Group tag filters: "the newest N tags of a repository matching a regex and/or a semver range".
// Ground Control resolves them (never the satellites), so every satellite of a group gets the
// same concrete list. This file is pure: checking a filter and choosing tags from a listing.
//
// Regexes are RE2 (re2js, a pure-JavaScript port): matching is linear in the tag's length
// whatever the pattern, so an admin's `(a+)+$` cannot stall Ground Control on a 128-character
// tag the way a backtracking engine would. RE2 has no backreferences or lookaround; such a
// pattern is refused with the engine's own message. Semver ranges and ordering are the `semver`
// package's (npm's), not hand-written.
import { RE2JS } from "re2js";
import semver from "semver";

/** Longest tag_regex or semver_range accepted. */
export const MAX_FILTER_LENGTH = 256;
/** Most tags one filtered artifact may resolve to (bounds the group state). */
export const MAX_NEWEST_COUNT = 100;

export interface TagFilter {
  /** RE2 pattern a tag must match somewhere (anchor with ^…$). */
  tagRegex?: string;
  /** Semver range a tag's version must satisfy. */
  semverRange?: string;
  /** How many of the newest matching tags to keep (≥ 1). */
  newestCount: number;
}

/** One tag of a repository as Harbor lists it. */
export interface TagInfo {
  name: string;
  digest: string;
  pushTime: Date;
}

/** Why a filter is unusable, without the field prefix (the caller names the field). */
export type FilterProblem = { field: "tag_regex" | "semver_range" | "newest_count"; message: string };

/** The first problem of a filter, or undefined when it is usable. */
export function filterProblem(filter: Partial<TagFilter>): FilterProblem | undefined {
  const { tagRegex, semverRange, newestCount } = filter;
  if (tagRegex !== undefined) {
    if (tagRegex.length > MAX_FILTER_LENGTH)
      return { field: "tag_regex", message: `is longer than ${MAX_FILTER_LENGTH} characters` };
    try {
      RE2JS.compile(tagRegex);
    } catch (error) {
      return {
        field: "tag_regex",
        message: `${JSON.stringify(tagRegex)} is not an RE2 regular expression (${(error as Error).message})`,
      };
    }
  }
  if (semverRange !== undefined) {
    if (semverRange.length > MAX_FILTER_LENGTH)
      return { field: "semver_range", message: `is longer than ${MAX_FILTER_LENGTH} characters` };
    if (semver.validRange(semverRange) === null)
      return {
        field: "semver_range",
        message: `${JSON.stringify(semverRange)} is not a semver range (e.g. ">=1.2 <2", "~1.4", "^2")`,
      };
  }
  if (
    newestCount !== undefined &&
    (!Number.isInteger(newestCount) || newestCount < 1 || newestCount > MAX_NEWEST_COUNT)
  )
    return { field: "newest_count", message: `${newestCount} must be between 1 and ${MAX_NEWEST_COUNT}` };
  return undefined;
}

/** A tag's version for semver filters: a full semver version, a leading "v" allowed; else null. */
export function tagVersion(tag: string): semver.SemVer | null {
  return semver.parse(tag);
}

/**
 * The newest `newestCount` tags passing the filter, newest first. Newest is semver order (highest
 * version first) when the filter has a semver range, push time otherwise; ties (the same
 * version, e.g. `1.2.0` and `v1.2.0`, or the same push time) go to the later push, then to the
 * tag name in descending byte order, so every resolution of the same listing is the same.
 */
export function selectNewestTags(filter: TagFilter, tags: readonly TagInfo[]): TagInfo[] {
  const regex = filter.tagRegex === undefined ? undefined : RE2JS.compile(filter.tagRegex);
  const range = filter.semverRange;
  const candidates = tags
    .filter((t) => regex === undefined || regex.test(t.name))
    .map((t) => ({ tag: t, version: range === undefined ? null : tagVersion(t.name) }))
    .filter((c) => range === undefined || (c.version !== null && semver.satisfies(c.version, range)));
  const byPush = (a: TagInfo, b: TagInfo) =>
    b.pushTime.getTime() - a.pushTime.getTime() || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0);
  candidates.sort((a, b) =>
    a.version && b.version ? semver.rcompare(a.version, b.version) || byPush(a.tag, b.tag) : byPush(a.tag, b.tag),
  );
  return candidates.slice(0, filter.newestCount).map((c) => c.tag);
}

/** The filter as words, for logs and errors: `tag_regex "^1\." and semver_range ">=1.2 <2", newest 3`. */
export function describeFilter(filter: TagFilter): string {
  const parts = [
    ...(filter.tagRegex !== undefined ? [`tag_regex ${JSON.stringify(filter.tagRegex)}`] : []),
    ...(filter.semverRange !== undefined ? [`semver_range ${JSON.stringify(filter.semverRange)}`] : []),
  ];
  return `${parts.join(" and ")}, newest ${filter.newestCount}`;
}
