// Re-resolves tag-filtered groups when Harbor's tags change. Every `intervalMs` it resolves each
// group that has a filtered artifact (one Harbor listing per filtered repository, through the
// registry service) and, when the result differs from what the group's last publish resolved
// (groups.resolved_artifacts, recorded with its digest), queues the group's publish in the outbox
// (whose job resolves again and publishes; a new group-state digest then cascades to the
// satellite states, as for any group change). A change already queued is not queued again at
// every pass while its publish is pending (remembered in memory), so a failing publish keeps its
// backoff. Replicas and restarts agree, since the comparison is with the database. A resolution
// that fails (no matching tag, Harbor away) queues nothing and is logged once per distinct error:
// the state published last stays.
import type { Logger } from "@harbor-satellite/telemetry";
import type { RegistryClient } from "../publish-jobs.js";
import type { FleetStore } from "../store/index.js";
import { registryTagLister } from "./registry-tags.js";
import { filterOf, resolveGroupArtifacts, type ResolvedArtifact } from "./resolve-group.js";

type FilteredGroup = Awaited<ReturnType<FleetStore["filteredGroups"]>>[number];

/** Resolved entries in one spelling, whether fresh or read back from jsonb (which drops undefined). */
const canonical = (entries: readonly ResolvedArtifact[]) =>
  JSON.stringify(
    entries.map((e) => ({ repository: e.repository, tags: e.tags, digest: e.digest ?? "", type: e.type ?? "image" })),
  );

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
  /** Group → the resolution last queued (as canonical JSON) while it differs from the published one. */
  const queued = new Map<string, string>();
  /** Group → the last resolution error logged, so a lasting problem is said once. */
  const failing = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<string[]> | undefined;

  const resolveOne = async (group: FilteredGroup) => {
    const { name } = group;
    try {
      const resolved = canonical(await resolveGroupArtifacts(name, group.artifacts, listTags));
      if (failing.delete(name)) logger.info({ group: name }, "tag filters resolve again");
      if (group.resolvedArtifacts && resolved === canonical(group.resolvedArtifacts)) {
        queued.delete(name);
        return false;
      }
      if (queued.get(name) === resolved) return false;
      queued.set(name, resolved);
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
    for (const name of [...queued.keys()]) if (!present.has(name)) queued.delete(name);
    const affected = (group: FilteredGroup) =>
      !repositories || group.artifacts.some((a) => filterOf(a) !== undefined && repositories.has(a.repository));
    const changed: string[] = [];
    for (const group of groups) if (affected(group) && (await resolveOne(group))) changed.push(group.name);
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
