// Request checks for the fleet: names, regions, SPIFFE selectors and group artifacts. Every
// message names the field (with its index) and the value, so an operator sees what to fix.
import type { Artifact } from "@harbor-satellite/gen/harbor/satellite/common/v1/common_pb";
import type { GroupArtifact } from "@harbor-satellite/db";
import { isDigest, isRepositoryName, isTag } from "@harbor-satellite/oci";
import { InvalidArgumentError, requireName } from "@harbor-satellite/rpc";
import { filterProblem } from "./tag-filters/tag-filter.js";

export { requireName };

/** Harbor's project name rule (lowercase letters and digits, single `.`, `_` or `-` between). */
export const PROJECT_PATTERN = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
/** SPIRE selector: `type:value`; the value may contain more colons (`docker:label:k:v`). */
const SELECTOR_PATTERN = /^[a-z][a-z0-9_-]*:[^\s:][^\s]*$/;
const ARTIFACT_TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;
const MAX_SELECTOR_LENGTH = 1024;

/** One path component of an OCI repository name (distribution spec). */
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
/** Harbor's robot name rule, stricter than the path rule: single separators only. */
const ROBOT_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/**
 * A group or config name: the name rule, and usable as the `<name>` in
 * `satellite/<kind>-state/<name>/state` (which refuses e.g. a trailing '-' or "a..b").
 */
export function requireStateName(field: string, value: string): string {
  requireName(field, value);
  if (!PATH_COMPONENT.test(value)) {
    throw new InvalidArgumentError(
      `${field} ${JSON.stringify(value)} cannot name a state artifact: '.', '_' and '-' must sit between letters or digits`,
    );
  }
  return value;
}

/** A satellite name: also its Harbor robot's name, so single separators between letters or digits. */
export function requireSatelliteName(field: string, value: string): string {
  requireName(field, value);
  if (!ROBOT_NAME.test(value)) {
    throw new InvalidArgumentError(
      `${field} ${JSON.stringify(value)} cannot name a Harbor robot: use single '.', '_' or '-' between letters or digits`,
    );
  }
  return value;
}

/** Region: the name rule, "default" when empty. */
export function requireRegion(value: string): string {
  return value === "" ? "default" : requireName("region", value);
}

/** Selectors in order, duplicates dropped. */
export function requireSelectors(selectors: readonly string[]): string[] {
  selectors.forEach((s, i) => {
    if (s.length > MAX_SELECTOR_LENGTH || !SELECTOR_PATTERN.test(s)) {
      throw new InvalidArgumentError(
        `selectors[${i}] ${JSON.stringify(s.slice(0, 100))} is not a SPIFFE selector: use "type:value" without spaces, e.g. "docker:label:com.docker.compose.service:satellite"`,
      );
    }
  });
  return [...new Set(selectors)];
}

/** Group names in order, each checked, duplicates dropped. */
export function requireGroupNames(field: string, names: readonly string[]): string[] {
  return [...new Set(names.map((n, i) => requireStateName(`${field}[${i}]`, n)))];
}

/** The Harbor project of a repository: its first path component. */
export function projectOf(repository: string): string {
  return repository.split("/", 1)[0];
}

/** A repository named on its own ("project/name[/…]"), e.g. by ResolveTagFilters. */
export function requireRepository(field: string, repository: string): string {
  if (!isRepositoryName(repository) || !repository.includes("/"))
    throw new InvalidArgumentError(
      `${field} ${JSON.stringify(repository)} must be a repository with its Harbor project, e.g. "library/nginx"`,
    );
  return repository;
}

/** Validates one artifact and returns it as stored: tags de-duplicated, type defaulted to "image". */
export function requireArtifact(
  a: Pick<Artifact, "repository" | "tags" | "digest" | "type"> &
    Partial<Pick<Artifact, "tagRegex" | "semverRange" | "newestCount">>,
  at: string,
): GroupArtifact {
  if (a.repository === "") throw new InvalidArgumentError(`${at}.repository is required`);
  if (!isRepositoryName(a.repository)) {
    throw new InvalidArgumentError(
      `${at}.repository ${JSON.stringify(a.repository)} is not a valid OCI repository name (lowercase path components separated by '/')`,
    );
  }
  if (!a.repository.includes("/") || !PROJECT_PATTERN.test(projectOf(a.repository))) {
    throw new InvalidArgumentError(
      `${at}.repository ${JSON.stringify(a.repository)} must start with its Harbor project, e.g. "library/nginx"`,
    );
  }
  const filter = requireTagFilter(a, at);
  if (a.tags.length === 0 && !filter)
    throw new InvalidArgumentError(`${at}.tags must name at least one tag (or give tag_regex or semver_range)`);
  a.tags.forEach((tag, j) => {
    if (!isTag(tag))
      throw new InvalidArgumentError(
        `${at}.tags[${j}] ${JSON.stringify(tag)} is not a valid OCI tag ([A-Za-z0-9_][A-Za-z0-9._-], at most 128 characters)`,
      );
  });
  if (a.digest !== "" && !isDigest(a.digest)) {
    throw new InvalidArgumentError(
      `${at}.digest ${JSON.stringify(a.digest)} is not a valid digest ("sha256:" and 64 lowercase hex digits)`,
    );
  }
  const type = a.type === "" ? "image" : a.type;
  if (!ARTIFACT_TYPE_PATTERN.test(type))
    throw new InvalidArgumentError(
      `${at}.type ${JSON.stringify(a.type)} is not a valid artifact type, e.g. "image" or "chart"`,
    );
  return {
    repository: a.repository,
    tags: [...new Set(a.tags)],
    ...(a.digest ? { digest: a.digest } : {}),
    type,
    ...filter,
  };
}

/** The artifact's tag filter as stored (only the fields given), or undefined without one. */
function requireTagFilter(
  a: Pick<Artifact, "digest"> & Partial<Pick<Artifact, "tagRegex" | "semverRange" | "newestCount">>,
  at: string,
): Pick<GroupArtifact, "tagRegex" | "semverRange" | "newestCount"> | undefined {
  const tagRegex = a.tagRegex || undefined;
  const semverRange = a.semverRange || undefined;
  const newestCount = a.newestCount;
  if (tagRegex === undefined && semverRange === undefined) {
    if (newestCount !== undefined)
      throw new InvalidArgumentError(`${at}.newest_count needs a tag filter: tag_regex or semver_range`);
    return undefined;
  }
  if (a.digest !== "")
    throw new InvalidArgumentError(
      `${at}.digest cannot be combined with tag_regex or semver_range: the filter's tags are pinned to their own digests`,
    );
  const problem = filterProblem({ tagRegex, semverRange, newestCount });
  if (problem) throw new InvalidArgumentError(`${at}.${problem.field} ${problem.message}`);
  return {
    ...(tagRegex !== undefined ? { tagRegex } : {}),
    ...(semverRange !== undefined ? { semverRange } : {}),
    ...(newestCount !== undefined ? { newestCount } : {}),
  };
}

/** A group's artifact list; one entry per repository. */
export function requireArtifacts(artifacts: readonly Artifact[]): GroupArtifact[] {
  const seen = new Map<string, number>();
  return artifacts.map((a, i) => {
    const artifact = requireArtifact(a, `artifacts[${i}]`);
    const first = seen.get(artifact.repository);
    if (first !== undefined) {
      throw new InvalidArgumentError(
        `artifacts[${i}].repository ${JSON.stringify(artifact.repository)} is already listed at artifacts[${first}]; put all its tags in one entry`,
      );
    }
    seen.set(artifact.repository, i);
    return artifact;
  });
}

/**
 * UpdateGroup's new artifact list: the one given, or none when clear_artifacts says so. Never empty
 * by omission: the group's satellites would delete every image it had.
 */
export function requireNewArtifacts(
  group: string,
  artifacts: readonly Artifact[],
  clearArtifacts: boolean,
): GroupArtifact[] {
  if (clearArtifacts) {
    if (artifacts.length > 0) {
      throw new InvalidArgumentError(
        `clear_artifacts=true contradicts the ${artifacts.length} artifacts given for group ${group}: send the artifacts to replace its list, or clear_artifacts=true alone to empty it`,
      );
    }
    return [];
  }
  if (artifacts.length === 0) {
    throw new InvalidArgumentError(
      `UpdateGroup without artifacts would remove every image from group ${group} (its satellites would delete them): pass clear_artifacts=true to mean it`,
    );
  }
  return requireArtifacts(artifacts);
}

/** The sorted Harbor projects a satellite needs for these artifacts. */
export function projectsOf(artifacts: readonly GroupArtifact[]): string[] {
  return [...new Set(artifacts.map((a) => projectOf(a.repository)))].sort();
}
