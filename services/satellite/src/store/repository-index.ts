// All repositories in memory, and their one durable form: the descriptors of the layout's
// index.json (see paths.ts for the mapping). Serialising is deterministic, so the same state
// always writes the same bytes.
import { MediaType, isDigest, isRepositoryName, isTag, type Descriptor } from "@harbor-satellite/oci";
import { REF_NAME_ANNOTATION, REPOSITORY_ANNOTATION, refName } from "./paths.js";
import { Repository, compareAscii } from "./repository.js";

/** One (repository, manifest[, tag]) entry read back from index.json. */
export interface IndexEntry {
  repository: string;
  digest: string;
  mediaType: string;
  size: number;
  tag?: string;
}

export interface ParsedIndexFile {
  entries: IndexEntry[];
  /** Descriptors another tool wrote; kept verbatim, and GC keeps what they reach. */
  foreign: Descriptor[];
}

export class RepositoryIndex {
  private readonly repos = new Map<string, Repository>();
  private sortedNames: string[] | undefined;
  foreign: Descriptor[] = [];

  get(name: string): Repository | undefined {
    return this.repos.get(name);
  }

  ensure(name: string): Repository {
    let repo = this.repos.get(name);
    if (!repo) {
      this.repos.set(name, (repo = new Repository(name)));
      this.sortedNames = undefined;
    }
    return repo;
  }

  /** Forgets a repository once it holds nothing. */
  dropIfEmpty(name: string): void {
    const repo = this.repos.get(name);
    if (repo?.isEmpty()) {
      this.repos.delete(name);
      this.sortedNames = undefined;
    }
  }

  all(): IterableIterator<Repository> {
    return this.repos.values();
  }

  /** Repositories holding at least one manifest, in ASCII order. */
  names(): readonly string[] {
    this.sortedNames ??= [...this.repos.values()]
      .filter((r) => r.manifests.size > 0)
      .map((r) => r.name)
      .sort(compareAscii);
    return this.sortedNames;
  }

  /** Call when a repository gained its first or lost its last manifest. */
  namesChanged(): void {
    this.sortedNames = undefined;
  }

  /** The index.json the current state is stored as. */
  serialize(): string {
    const manifests: Descriptor[] = [];
    for (const name of [...this.repos.keys()].sort(compareAscii)) {
      const repo = this.repos.get(name) as Repository;
      const tagsByDigest = repo.tagsByDigest();
      const digests = [...repo.manifests.keys()].sort(compareAscii);
      for (const digest of digests) {
        const m = repo.manifests.get(digest)!;
        const base = { mediaType: m.mediaType, digest, size: m.info.size };
        const tags = tagsByDigest.get(digest);
        if (!tags) {
          manifests.push({ ...base, annotations: { [REPOSITORY_ANNOTATION]: name } });
          continue;
        }
        for (const tag of tags) {
          manifests.push({
            ...base,
            annotations: { [REPOSITORY_ANNOTATION]: name, [REF_NAME_ANNOTATION]: refName(name, tag) },
          });
        }
      }
    }
    manifests.push(...this.foreign);
    return `${JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }, null, 1)}\n`;
  }
}

/**
 * Reads index.json text. Descriptors we wrote name their repository; a descriptor from another
 * tool whose ref name reads as `<repository>:<tag>` is adopted, so a layout written by
 * `skopeo copy … oci:<dir>:<repository>:<tag>` can be served. Anything else stays foreign.
 */
export function parseIndexFile(text: string): ParsedIndexFile {
  const body = JSON.parse(text) as { manifests?: unknown };
  if (!Array.isArray(body.manifests)) throw new Error("index.json has no manifests array");
  const entries: IndexEntry[] = [];
  const foreign: Descriptor[] = [];
  for (const raw of body.manifests as Descriptor[]) {
    const entry = toEntry(raw);
    if (entry) entries.push(entry);
    else foreign.push(raw);
  }
  return { entries, foreign };
}

function toEntry(d: Descriptor): IndexEntry | undefined {
  if (typeof d !== "object" || d === null || typeof d.digest !== "string" || !isDigest(d.digest)) return undefined;
  if (typeof d.mediaType !== "string" || typeof d.size !== "number") return undefined;
  const ref = d.annotations?.[REF_NAME_ANNOTATION];
  let repository = d.annotations?.[REPOSITORY_ANNOTATION];
  let tag: string | undefined;
  if (repository !== undefined) {
    if (!isRepositoryName(repository)) return undefined;
    if (ref !== undefined) {
      if (!ref.startsWith(`${repository}:`)) return undefined;
      tag = ref.slice(repository.length + 1);
    }
  } else if (ref !== undefined) {
    const colon = ref.lastIndexOf(":");
    if (colon <= 0) return undefined;
    repository = ref.slice(0, colon);
    tag = ref.slice(colon + 1);
    if (!isRepositoryName(repository)) return undefined;
  } else {
    return undefined;
  }
  if (tag !== undefined && !isTag(tag)) return undefined;
  return { repository, digest: d.digest, mediaType: d.mediaType, size: d.size, tag };
}
