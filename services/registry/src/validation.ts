// Request checks at the registry service's edge. The fleet validates thoroughly before it ever
// calls here; these checks keep an admin calling the service directly from pushing state a
// satellite cannot read.
import type { Artifact } from "@harbor-satellite/gen/harbor/satellite/common/v1/common_pb";
import { isDigest, isRepositoryName, isTag } from "@harbor-satellite/oci";
import { InvalidArgumentError, requireName } from "@harbor-satellite/rpc";
import type { StateArtifactEntry } from "@harbor-satellite/state-artifact";

/** Harbor's project name rule (lowercase, digits, single separators). */
const PROJECT_PATTERN = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

export function requireProjects(projects: readonly string[]): string[] {
  return projects.map((project, i) => {
    if (!PROJECT_PATTERN.test(project) || project.length > 255) {
      throw new InvalidArgumentError(`projects[${i}] ${JSON.stringify(project)} is not a valid Harbor project name`);
    }
    return project;
  });
}

export function requireArtifacts(artifacts: readonly Artifact[]): StateArtifactEntry[] {
  return artifacts.map((a, i) => {
    const at = `artifacts[${i}]`;
    if (!isRepositoryName(a.repository) || !a.repository.includes("/")) {
      throw new InvalidArgumentError(
        `${at}.repository ${JSON.stringify(a.repository)} must be a repository name with a project, e.g. "library/nginx"`,
      );
    }
    if (a.tagRegex !== "" || a.semverRange !== "" || a.newestCount !== undefined)
      throw new InvalidArgumentError(
        `${at}: a group state lists concrete tags; tag_regex, semver_range and newest_count are resolved by the fleet service (CreateGroup/UpdateGroup)`,
      );
    if (a.tags.length === 0) throw new InvalidArgumentError(`${at}.tags must name at least one tag`);
    a.tags.forEach((tag, j) => {
      if (!isTag(tag)) throw new InvalidArgumentError(`${at}.tags[${j}] ${JSON.stringify(tag)} is not a valid tag`);
    });
    if (a.digest !== "" && !isDigest(a.digest))
      throw new InvalidArgumentError(`${at}.digest ${JSON.stringify(a.digest)} is not a valid digest`);
    return { repository: a.repository, tags: [...a.tags], digest: a.digest || undefined, type: a.type || "image" };
  });
}

/**
 * The digest a satellite state pins a group or config state to. Required: an unpinned URL would
 * let the satellite state stay the same while what it lists changes.
 */
export function requirePin(field: string, digest: string | undefined): string {
  if (digest === undefined || digest === "")
    throw new InvalidArgumentError(`${field} is required: satellite states list group and config states by digest`);
  if (!isDigest(digest) || !digest.startsWith("sha256:"))
    throw new InvalidArgumentError(`${field} ${JSON.stringify(digest)} is not a sha256 digest`);
  return digest;
}

/** One path component of an OCI repository name: what `<name>` in a state repository must be. */
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;

/** A group, satellite or config name that is also usable in `satellite/<kind>-state/<name>/state`. */
export function requireStateName(field: string, value: string): string {
  requireName(field, value);
  if (!PATH_COMPONENT.test(value))
    throw new InvalidArgumentError(
      `${field} ${JSON.stringify(value)} cannot name a state artifact: '.', '_' and '-' must sit between letters or digits`,
    );
  return value;
}

/** A satellite name, which is also its robot's name: Harbor allows single separators only. */
export function requireSatelliteName(field: string, value: string): string {
  requireName(field, value);
  if (!PROJECT_PATTERN.test(value))
    throw new InvalidArgumentError(
      `${field} ${JSON.stringify(value)} cannot name a Harbor robot: use single '.', '_' or '-' between letters or digits`,
    );
  return value;
}
