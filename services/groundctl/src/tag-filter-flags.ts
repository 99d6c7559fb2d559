// Group tag filters from the command line and from group files. Flags name the repository they
// filter, so one command can filter several:
//
//   --semver 'apps/web=>=1.2 <2' --newest apps/web=2     the newest 2 versions in [1.2, 2)
//   --tag-regex 'apps/api=^main-'                        the newest tag starting with main-
//
// (REPO=VALUE splits at the first '='; repository names have none.) In a file, an artifact takes
// tag_regex, semver_range and newest_count (or tagRegex, semverRange, newestCount). Ground Control
// checks the regex and the range (InvalidArgument, exit 3); the count is checked here too, since
// a YAML file gives it as text.
import { UsageError } from "./exit-codes.js";
import type { ArtifactInit } from "./group-spec.js";

export interface FilterFlags {
  tagRegex: string[];
  semver: string[];
  newest: string[];
}

type Filter = Pick<ArtifactInit, "tagRegex" | "semverRange" | "newestCount">;

/** `N` as newest_count: a whole number of at least 1. `what` names the source in the message. */
export function parseNewestCount(value: string, what: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`${what}: newest count ${JSON.stringify(value)} must be a whole number of at least 1`);
  return n;
}

function splitRepo(flag: string, value: string): [string, string] {
  const eq = value.indexOf("=");
  if (eq < 1 || eq === value.length - 1)
    throw new UsageError(`--${flag} ${JSON.stringify(value)}: expected REPO=VALUE, e.g. --${flag} apps/web=…`);
  return [value.slice(0, eq), value.slice(eq + 1)];
}

/** One artifact per filtered repository, in the order the repositories first appear. */
export function artifactsFromFilterFlags(flags: FilterFlags): ArtifactInit[] {
  const byRepo = new Map<string, ArtifactInit>();
  const at = (repository: string) => {
    let artifact = byRepo.get(repository);
    if (!artifact) byRepo.set(repository, (artifact = { repository, tags: [] }));
    return artifact;
  };
  const set = (flag: string, raw: string, key: keyof Filter, value: (v: string) => string | number) => {
    const [repository, text] = splitRepo(flag, raw);
    const artifact = at(repository);
    if (artifact[key] !== undefined) throw new UsageError(`--${flag} given twice for ${repository}`);
    Object.assign(artifact, { [key]: value(text) });
  };
  for (const raw of flags.tagRegex) set("tag-regex", raw, "tagRegex", (v) => v);
  for (const raw of flags.semver) set("semver", raw, "semverRange", (v) => v);
  for (const raw of flags.newest) set("newest", raw, "newestCount", (v) => parseNewestCount(v, `--newest ${raw}`));
  for (const a of byRepo.values())
    if (a.tagRegex === undefined && a.semverRange === undefined)
      throw new UsageError(`--newest ${a.repository}=… needs --tag-regex or --semver for ${a.repository}`);
  return [...byRepo.values()];
}

/**
 * Adds filtered artifacts to the others: a repository already listed without a digest (by
 * --image or the file) gets the filter beside its tags; others are appended.
 */
export function mergeFilters(artifacts: ArtifactInit[], filtered: ArtifactInit[]): ArtifactInit[] {
  const out = artifacts.map((a) => ({ ...a }));
  for (const f of filtered) {
    const same = out.find((a) => a.repository === f.repository && !a.digest);
    if (!same) out.push(f);
    else if (same.tagRegex !== undefined || same.semverRange !== undefined)
      throw new UsageError(`${f.repository} has a tag filter in the file and on the command line: give one`);
    else Object.assign(same, { ...f, tags: same.tags });
  }
  return out;
}

const FILE_FILTER_KEYS: Record<string, keyof Filter> = {
  tag_regex: "tagRegex",
  tagRegex: "tagRegex",
  semver_range: "semverRange",
  semverRange: "semverRange",
  newest_count: "newestCount",
  newestCount: "newestCount",
};
export const FILTER_FILE_KEYS = Object.keys(FILE_FILTER_KEYS);

/** The filter keys of one file artifact (strings under YAML's failsafe schema). */
export function filterFromFile(raw: Record<string, unknown>, at: string): Filter {
  const filter: Filter = {};
  for (const [key, field] of Object.entries(FILE_FILTER_KEYS)) {
    const value = raw[key];
    if (value === undefined) continue;
    if (filter[field] !== undefined) throw new UsageError(`${at}: ${key} is given twice`);
    if (typeof value !== "string" || value === "") throw new UsageError(`${at}.${key} must be a non-empty string`);
    Object.assign(filter, { [field]: field === "newestCount" ? parseNewestCount(value, `${at}.${key}`) : value });
  }
  if (filter.newestCount !== undefined && filter.tagRegex === undefined && filter.semverRange === undefined)
    throw new UsageError(`${at}: newest_count needs tag_regex or semver_range`);
  return filter;
}

/** How a filter reads in tables: `semver ">=1.2 <2", regex "^1\.", newest 2`; "" without one. */
export function describeArtifactFilter(a: Filter): string {
  const parts = [
    ...(a.semverRange ? [`semver ${JSON.stringify(a.semverRange)}`] : []),
    ...(a.tagRegex ? [`regex ${JSON.stringify(a.tagRegex)}`] : []),
  ];
  return parts.length === 0 ? "" : `${parts.join(", ")}, newest ${a.newestCount ?? 1}`;
}
