// Re-resolves tag-filtered groups when Harbor's tags change. Every `intervalMs` it resolves each
// group that has a filtered artifact (one Harbor listing per filtered repository, through the
// registry service) and, when the result differs from the one it saw last, queues the group's
// publish in the outbox (whose job resolves again and publishes; a new group-state digest then
// cascades to the satellite states, as for any group change).
//
// What it saw last is kept in memory, so the first pass of a process queues every filtered group
// once (a tag pushed while Ground Control was down is then picked up); an unchanged resolution
// republishes identical bytes, so the digest stays and nothing cascades. A resolution that fails
// (no matching tag, Harbor away) queues nothing and is logged once per distinct error: the
// state published last stays, and the next successful pass compares against it.
import type { Logger } from "@harbor-satellite/telemetry";
import type { RegistryClient } from "../publish-jobs.js";
import type { FleetStore } from "../store/index.js";
import { registryTagLister } from "./registry-tags.js";
import { filterOf, resolveGroupArtifacts } from "./resolve-group.js";

export interface TagFilterWatcherOptions {
  store: Pick<FleetStore, "filteredGroups" | "requestGroupPublish">;
  registry: RegistryClient;
  logger: Logger;
  /** Poll interval; 0 or less turns polling off (check() still works). */
  intervalMs: number;
  /** Deadline of each registry call. */
  callTimeoutMs?: number;
  /** Called after groups were queued, so the publisher starts at once. */
  queued(): void;
}

export interface TagFilterWatcher {
  start(): void;
  stop(): Promise<void>;
  /**
   * One pass now; resolves to the groups it queued. With `repositories`, only the groups with a
   * filtered artifact on one of them (a Harbor webhook names the repository pushed to).
   */
  check(repositories?: readonly string[]): Promise<string[]>;
}

export function createTagFilterWatcher(options: TagFilterWatcherOptions): TagFilterWatcher {
  const { store, registry, logger } = options;
  const listTags = registryTagLister(registry, options.callTimeoutMs ?? 60_000);
  /** Group → the resolved entries as JSON, as last seen. */
  const seen = new Map<string, string>();
  /** Group → the last resolution error logged, so a lasting problem is said once. */
  const failing = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<string[]> | undefined;

  const resolveOne = async (name: string, artifacts: Parameters<typeof resolveGroupArtifacts>[1]) => {
    try {
      const resolved = JSON.stringify(await resolveGroupArtifacts(name, artifacts, listTags));
      if (failing.delete(name)) logger.info({ group: name }, "tag filters resolve again");
      if (seen.get(name) === resolved) return false;
      seen.set(name, resolved);
      return true;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (failing.get(name) !== message) logger.warn({ group: name, err: message }, "tag filters do not resolve");
      failing.set(name, message);
      return false;
    }
  };

  const pass = async (repositories?: ReadonlySet<string>): Promise<string[]> => {
    const groups = await store.filteredGroups();
    const present = new Set(groups.map((g) => g.name));
    for (const name of [...seen.keys()]) if (!present.has(name)) seen.delete(name);
    const affected = (artifacts: (typeof groups)[number]["artifacts"]) =>
      !repositories || artifacts.some((a) => filterOf(a) !== undefined && repositories.has(a.repository));
    const changed: string[] = [];
    for (const group of groups)
      if (affected(group.artifacts) && (await resolveOne(group.name, group.artifacts))) changed.push(group.name);
    if (changed.length > 0) {
      await store.requestGroupPublish(changed);
      logger.info({ groups: changed }, "tag filters resolve to new tags; group states queued");
      options.queued();
    }
    return changed;
  };

  /** Passes run one at a time: a scoped pass waits for the pass in progress, then runs its own. */
  const check = async (repositories?: readonly string[]): Promise<string[]> => {
    const scope = repositories && repositories.length > 0 ? new Set(repositories) : undefined;
    while (running) await running.catch(() => undefined);
    running = pass(scope).finally(() => (running = undefined));
    return running;
  };

  return {
    start() {
      if (timer || options.intervalMs <= 0) return;
      timer = setInterval(
        () => void check().catch((error: unknown) => logger.error({ err: String(error) }, "tag filter pass failed")),
        options.intervalMs,
      );
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
    check,
  };
}
