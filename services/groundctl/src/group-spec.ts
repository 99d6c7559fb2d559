// A group's artifacts from the command line: `--image project/repo:tag` flags (repeatable), or a
// YAML or JSON file (`-f FILE`, `-` for stdin):
//
//   name: web                      # optional; must match the NAME argument when both are given
//   artifacts:
//     - repository: apps/nginx
//       tags: ["1.27"]             # or `tag: 1.27` / `tag: [..]`, as in the group-state JSON
//       digest: sha256:…           # optional pin
//       type: image                # optional
//     - repository: apps/web       # a tag filter instead of (or beside) tags; Ground Control
//       semver_range: ">=1.2 <2"   # resolves it against Harbor: tag_regex, semver_range,
//       newest_count: 2            # newest_count (default 1); see tag-filter-flags.ts
//   images: [apps/alpine:3.20]     # optional shorthand, same as --image
//
// The group-state JSON Ground Control publishes (`group: web`, `artifacts: [{tag: [...]}]`) reads
// as well. Unknown keys are refused, so a typo cannot silently drop an image.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ArtifactSchema } from "@harbor-satellite/gen/harbor/satellite/common/v1/common_pb";
import { parse as parseYaml } from "yaml";
import { UsageError } from "./exit-codes.js";
import { FILTER_FILE_KEYS, filterFromFile } from "./tag-filter-flags.js";

export type ArtifactInit = MessageInitShape<typeof ArtifactSchema> & { repository: string; tags: string[] };

export interface GroupSpec {
  name?: string;
  artifacts: ArtifactInit[];
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** `project/repo:tag`, `project/repo@sha256:…` or `project/repo:tag@sha256:…`. */
export function parseImageRef(ref: string): { repository: string; tag?: string; digest?: string } {
  let rest = ref.trim();
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new UsageError(`image ${JSON.stringify(ref)}: the digest must be sha256:<64 hex>`);
  }
  const colon = rest.lastIndexOf(":");
  let tag: string | undefined;
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tag) throw new UsageError(`image ${JSON.stringify(ref)}: empty tag`);
  }
  if (!rest) throw new UsageError(`image ${JSON.stringify(ref)}: no repository`);
  if (!tag && !digest)
    throw new UsageError(`image ${JSON.stringify(ref)} needs a tag (project/repo:tag) or a digest (@sha256:…)`);
  return { repository: rest, tag, digest };
}

/**
 * Artifacts from image references, one per repository and digest, its tags in the order given. A
 * reference with a digest but no tag is refused rather than given a guessed tag: every artifact
 * of a group state names at least one.
 */
export function artifactsFromImages(refs: string[]): ArtifactInit[] {
  const out: ArtifactInit[] = [];
  for (const ref of refs) {
    const { repository, tag, digest } = parseImageRef(ref);
    if (!tag)
      throw new UsageError(
        `image ${JSON.stringify(ref)} needs a tag too (project/repo:tag@sha256:…): every artifact names at least one tag`,
      );
    const same = out.find((a) => a.repository === repository && (a.digest ?? "") === (digest ?? ""));
    if (same) {
      if (!same.tags.includes(tag)) same.tags.push(tag);
    } else {
      out.push({ repository, tags: [tag], ...(digest ? { digest } : {}) });
    }
  }
  return out;
}

const FILE_KEYS = new Set(["name", "group", "artifacts", "images"]);
const ARTIFACT_KEYS = new Set(["repository", "tags", "tag", "digest", "type", ...FILTER_FILE_KEYS]);

/** Reads a group file's text (YAML, of which JSON is a subset). `source` names it in messages. */
export function parseGroupFile(text: string, source: string): GroupSpec {
  let doc: unknown;
  try {
    // The failsafe schema reads every scalar as a string: `tags: [1.10]` stays "1.10", not 1.1.
    doc = parseYaml(text, { schema: "failsafe" });
  } catch (error) {
    throw new UsageError(`${source}: not YAML or JSON: ${(error as Error).message.split("\n")[0]}`);
  }
  if (!isRecord(doc)) throw new UsageError(`${source}: expected a mapping with artifacts (or images)`);
  for (const key of Object.keys(doc))
    if (!FILE_KEYS.has(key))
      throw new UsageError(`${source}: unknown key ${JSON.stringify(key)} (expected name, artifacts, images)`);
  const name = doc.name ?? doc.group;
  if (name !== undefined && typeof name !== "string") throw new UsageError(`${source}: name must be a string`);
  const artifacts: ArtifactInit[] = [];
  if (!absent(doc.artifacts)) {
    if (!Array.isArray(doc.artifacts)) throw new UsageError(`${source}: artifacts must be a list`);
    doc.artifacts.forEach((a, i) => artifacts.push(artifactFrom(a, `${source}: artifacts[${i}]`)));
  }
  if (!absent(doc.images)) {
    if (!Array.isArray(doc.images) || !doc.images.every((r) => typeof r === "string"))
      throw new UsageError(`${source}: images must be a list of project/repo:tag strings`);
    artifacts.push(...artifactsFromImages(doc.images as string[]));
  }
  return { ...(name ? { name } : {}), artifacts };
}

function artifactFrom(raw: unknown, at: string): ArtifactInit {
  if (!isRecord(raw)) throw new UsageError(`${at} must be a mapping with repository and tags`);
  for (const key of Object.keys(raw))
    if (!ARTIFACT_KEYS.has(key))
      throw new UsageError(
        `${at}: unknown key ${JSON.stringify(key)} (expected repository, tags, digest, type, tag_regex, semver_range, newest_count)`,
      );
  if (typeof raw.repository !== "string" || raw.repository === "")
    throw new UsageError(`${at}.repository must be a non-empty string`);
  if (raw.tags !== undefined && raw.tag !== undefined) throw new UsageError(`${at}: give tags or tag, not both`);
  const tagsRaw = raw.tags ?? raw.tag;
  const tags: unknown[] = Array.isArray(tagsRaw) ? tagsRaw : tagsRaw === undefined ? [] : [tagsRaw];
  if (!tags.every((t): t is string => typeof t === "string" && t !== ""))
    throw new UsageError(`${at}.tags must be strings`);
  if (raw.digest !== undefined && (typeof raw.digest !== "string" || !DIGEST.test(raw.digest)))
    throw new UsageError(`${at}.digest must be sha256:<64 hex>`);
  if (raw.type !== undefined && typeof raw.type !== "string") throw new UsageError(`${at}.type must be a string`);
  return {
    repository: raw.repository,
    tags,
    ...(raw.digest ? { digest: raw.digest as string } : {}),
    ...(raw.type ? { type: raw.type as string } : {}),
    ...filterFromFile(raw, at),
  };
}

/** An empty YAML value (`artifacts:`) reads as "" under the failsafe schema. */
const absent = (v: unknown) => v === undefined || v === null || v === "";
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
