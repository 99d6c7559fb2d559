// When each manifest was last pulled from the local registry (a GET by tag or digest), for the
// quota's least-recently-pulled order. A pull only updates a map in memory; the map is written
// to <data-dir>/pulls.json (atomically) at most once per `flushIntervalMs` when it changed, and
// at close, so a busy registry costs no fsync per pull. A crash loses at most the last interval's
// pulls, which only makes those images look a little older. Keys are `repository@digest`; the
// oldest entries go when there are more than `maxEntries`.
import type { Logger } from "pino";
import { writeFileAtomic } from "../fs/atomic-file.js";
import { readOptional } from "../fs/read-optional.js";

export const PULL_LOG_FILE = "pulls.json";

export interface PullLog {
  /** A manifest was served by GET. Synchronous and cheap: the registry calls it per request. */
  note(repository: string, digest: string): void;
  /** Unix ms of the last pull of any of these manifests of `repository`; undefined: none seen. */
  lastPulled(repository: string, digests: readonly string[]): number | undefined;
  /** Writes the map now when it changed. */
  flush(): Promise<void>;
  /** Stops the timer and flushes. */
  close(): Promise<void>;
}

export interface PullLogOptions {
  path: string;
  logger: Logger;
  flushIntervalMs?: number;
  maxEntries?: number;
  now?: () => number;
}

interface PullFile {
  version: 1;
  pulls: Record<string, number>;
}

export async function openPullLog(options: PullLogOptions): Promise<PullLog> {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 10_000;
  const pulls = await load(options.path, options.logger);
  let dirty = false;
  let writing: Promise<void> = Promise.resolve();

  const flush = () => {
    if (!dirty) return writing;
    dirty = false;
    const file: PullFile = { version: 1, pulls: Object.fromEntries(pulls) };
    writing = writing
      .then(() => writeFileAtomic(options.path, `${JSON.stringify(file)}\n`))
      .catch((error: unknown) => {
        dirty = true;
        options.logger.warn({ err: error }, "could not record when images were last pulled; trying again later");
      });
    return writing;
  };
  const timer = setInterval(() => void flush(), options.flushIntervalMs ?? 30_000);
  timer.unref();

  return {
    note(repository, digest) {
      const key = `${repository}@${digest}`;
      pulls.delete(key); // re-inserted last: the map's order is oldest pull first
      pulls.set(key, now());
      if (pulls.size > maxEntries) pulls.delete(pulls.keys().next().value!);
      dirty = true;
    },
    lastPulled(repository, digests) {
      let last: number | undefined;
      for (const digest of digests) {
        const at = pulls.get(`${repository}@${digest}`);
        if (at !== undefined && (last === undefined || at > last)) last = at;
      }
      return last;
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}

async function load(path: string, logger: Logger): Promise<Map<string, number>> {
  const text = await readOptional(path);
  if (text === undefined) return new Map();
  try {
    const parsed = JSON.parse(text) as Partial<PullFile>;
    if (parsed.version === 1 && parsed.pulls && typeof parsed.pulls === "object") {
      const entries = Object.entries(parsed.pulls).filter(([, at]) => Number.isFinite(at));
      return new Map(entries.sort((a, b) => a[1] - b[1]));
    }
  } catch {
    // fall through
  }
  logger.warn({ path }, `${PULL_LOG_FILE} is unreadable; pull times start afresh`);
  return new Map();
}
