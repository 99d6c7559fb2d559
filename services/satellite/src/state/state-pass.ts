// One state-replication pass, as the agent's scheduler runs it: read the state (stopping early
// when nothing changed), replicate the desired images through the engine (per upstream
// registry), delete what no group wants any more, hand a changed config to the agent, and
// persist what was applied. Every pass, changed or not, then checks that the images it owns are
// still in the store as replicated (owned-audit.ts: local reads only) and repairs any that are
// not (owned-repair.ts), so a tag a client moved or deleted, or a file lost on disk, comes back
// even while the state digest stays the same. Returns what the heartbeat reports: state and
// config digests, the pass duration and the per-image errors.
import type { Logger } from "pino";
import { ConfigValidationError } from "../config/config-error.js";
import { imageName, type OwnedImage } from "../replication/desired-image.js";
import type { FetchPlan } from "../replication/fetch-plan.js";
import type { ReplicationEngine, ReplicationSummary, UpstreamOptions } from "../replication/replication-engine.js";
import { loadAppliedState, saveAppliedState, type AppliedState } from "./applied-state.js";
import { createOwnedAudit, type AuditStore } from "./owned-audit.js";
import { repairOwned, type RepairedImage } from "./owned-repair.js";
import { buildDesiredSet, planChanges, type StatePlan } from "./desired-set.js";
import { splitOwned, type Retention, type RetentionResult } from "./retention.js";
import { toAppliedState, type ReadFailure, type StateReader } from "./state-reader.js";

export interface StatePassOptions {
  reader: StateReader;
  /** prunePartials (when given) drops paused copies' kept files no desired image needs after a changed state. */
  engine: Pick<ReplicationEngine, "replicate"> & Partial<Pick<ReplicationEngine, "prunePartials">>;
  /** `<data-dir>/state.json` */
  appliedStatePath: string;
  /** Upstream settings (credentials, TLS, retries) for a registry base URL from a group state. */
  upstream?: (registryUrl: string) => UpstreamOptions;
  /**
   * Called with a changed config-state document before the pass is recorded (the agent applies
   * it with applyConfigState). If it throws, the config is retried on the next pass. A
   * ConfigValidationError (the document itself is invalid: retrying cannot help) is reported
   * among the failures but does not make the pass partial, so images keep their schedule.
   */
  onConfig?: (document: unknown, digest: string) => Promise<void> | void;
  /**
   * Called with a changed config-state document before any image is replicated, for what the
   * copies themselves follow (sync windows, the bandwidth cap): onConfig comes only after them.
   */
  onConfigAhead?: (document: unknown) => void;
  logger?: Logger;
  now?: () => number;
  /** The local store, to check owned images every pass; without it, no check. */
  store?: AuditStore;
  /** Retention of images no group wants, and the store quota (retention.ts); without it, dropped images are untagged. */
  retention?: Retention;
}

export interface ImageError {
  /** `repository:tag` */
  reference: string;
  message: string;
}

export interface StatePassResult {
  status: "unchanged" | "applied" | "partial";
  satelliteDigest: string;
  configDigest?: string;
  durationMs: number;
  plan?: StatePlan;
  imageErrors: ImageError[];
  failures: ReadFailure[];
  /** Summaries of the engine calls, one per upstream registry (and per repair). */
  replication: ReplicationSummary[];
  /** Owned images found damaged locally this pass, repaired or not. */
  repaired?: RepairedImage[];
  /** What the store quota did (passes that read a changed state, with retention). */
  quota?: RetentionResult;
}

/** What the check of owned images did; nothing at all when nothing was damaged. */
export interface VerifyResult {
  repaired: RepairedImage[];
  imageErrors: ImageError[];
  replication: ReplicationSummary[];
}

export interface StatePass {
  run(satelliteStateUrl: string, signal?: AbortSignal): Promise<StatePassResult>;
  /** The last applied state (loaded from disk on first use). */
  applied(): Promise<AppliedState | undefined>;
  /**
   * Checks the owned images of the applied state against the store and repairs damaged ones;
   * what a pass does when Ground Control vouches the state is unchanged (no state request).
   */
  verify(signal?: AbortSignal): Promise<VerifyResult>;
}

const messageOf = (error: unknown) =>
  error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);

export function createStatePass(options: StatePassOptions): StatePass {
  const now = options.now ?? (() => performance.now());
  const upstreamFor = options.upstream ?? ((url: string) => ({ url }));
  let applied: AppliedState | undefined;
  let loaded = false;
  const audit = options.store ? createOwnedAudit(options.store) : undefined;

  const current = async () => {
    if (!loaded) {
      applied = await loadAppliedState(options.appliedStatePath);
      loaded = true;
    }
    return applied;
  };

  const verify = async (signal?: AbortSignal, except?: ReadonlySet<string>): Promise<VerifyResult> => {
    const last = await current();
    if (!audit || !last) return { repaired: [], imageErrors: [], replication: [] };
    const result = await repairOwned(
      last,
      {
        audit,
        engine: options.engine,
        upstream: upstreamFor,
        registryUrlOf: (g) => options.reader.registryUrlOf(g),
        logger: options.logger,
      },
      signal,
      except,
    );
    if (result.owned && JSON.stringify(result.owned) !== JSON.stringify(last.owned)) {
      const record = { ...last, owned: result.owned };
      await saveAppliedState(options.appliedStatePath, record);
      applied = record;
    }
    const imageErrors = result.repaired
      .filter((r) => !r.repaired)
      .map((r) => ({
        reference: r.image,
        message: `local copy damaged (${r.problem}), not repaired: ${r.error ?? "unknown error"}`,
      }));
    return { repaired: result.repaired, imageErrors, replication: result.replication };
  };

  return {
    applied: current,
    verify: (signal) => verify(signal),
    async run(satelliteStateUrl, signal) {
      const started = now();
      const last = await current();
      const read = await options.reader.read(satelliteStateUrl, last, signal);
      if (read.status === "unchanged") {
        const checked = await verify(signal);
        const status = checked.imageErrors.length > 0 ? "partial" : "unchanged";
        return {
          status,
          satelliteDigest: read.satelliteDigest,
          configDigest: last?.config_digest,
          durationMs: now() - started,
          imageErrors: checked.imageErrors,
          failures: [],
          replication: checked.replication,
          repaired: checked.repaired,
        };
      }

      const desired = buildDesiredSet(read.groups);
      const owned = last?.owned ?? [];
      const plan = planChanges(
        desired.images,
        owned.map((o) => ({ repository: o.repository, tag: o.tag, digest: o.sourceDigest })),
      );
      options.logger?.info(
        {
          satelliteDigest: read.satelliteDigest,
          add: plan.add.length,
          changed: plan.changed.length,
          keep: plan.keep.length,
          remove: plan.remove.length,
          conflicts: plan.conflicts,
          skipped: desired.skipped.length,
        },
        "state changed",
      );

      // The engine untags owned images a call does not ask for, so each call gets the owned
      // images of its own upstream, and the first call also those no upstream wants any more
      // (unless a store quota keeps them: those are retained, retention.ts).
      const wantedAnywhere = new Set(desired.images.map(imageName));
      const { engineOwned, retain } = splitOwned(
        owned,
        last?.retained ?? [],
        wantedAnywhere,
        options.retention?.keeps() ?? false,
      );
      if (read.config?.changed) options.onConfigAhead?.(read.config.document);
      // With nothing wanted, one call with no images still untags what is owned.
      const calls =
        desired.upstreams.length > 0
          ? desired.upstreams
          : engineOwned.length > 0
            ? [{ registryUrl: read.satelliteRegistryUrl, images: [] }]
            : [];
      const replication: ReplicationSummary[] = [];
      const nextOwned: OwnedImage[] = [];
      const room = { evicted: [] as string[], tooSmall: undefined as string | undefined };
      // Under a quota each call plans its bytes first: room is made (or the fetch refused) before any layer moves.
      const retention = options.retention?.keeps() ? options.retention : undefined;
      const beforeFetch = retention
        ? async (fetch: FetchPlan) => {
            const made = await retention.makeRoom(wantedAnywhere, retain, fetch.bytes);
            room.evicted.push(...made.evicted);
            room.tooSmall = made.tooSmall ?? room.tooSmall;
            return made.tooSmall;
          }
        : undefined;
      for (const [index, call] of calls.entries()) {
        const names = new Set(call.images.map(imageName));
        const ownedHere = engineOwned.filter(
          (o) => names.has(imageName(o)) || (index === 0 && !wantedAnywhere.has(imageName(o))),
        );
        const summary = await options.engine.replicate({
          upstream: upstreamFor(call.registryUrl),
          images: call.images,
          owned: ownedHere,
          signal,
          ...(beforeFetch ? { beforeFetch } : {}),
        });
        replication.push(summary);
        nextOwned.push(...summary.owned);
      }
      await options.engine.prunePartials?.();

      const imageErrors = replication.flatMap((s) =>
        s.failed.map((f) => ({ reference: f.image, message: messageOf(f.error) })),
      );
      const failures = [...read.failures];
      let configApplied = true;
      let configRefused = false;
      if (read.config?.changed && options.onConfig) {
        try {
          await options.onConfig(read.config.document, read.config.digest);
        } catch (error) {
          configApplied = false;
          configRefused = error instanceof ConfigValidationError;
          failures.push({
            kind: "config",
            url: read.config.url,
            error: error instanceof Error ? error : new Error(String(error)),
          });
        }
      }

      // Not complete while a config is not applied: the next pass reads it again.
      const complete = read.complete && imageErrors.length === 0 && configApplied;
      const settled = read.complete && imageErrors.length === 0 && (configApplied || configRefused);
      const record = toAppliedState(read, desired.images, complete);
      record.owned = nextOwned;
      // After the config: a quota it changed applies in this pass.
      const afterPass = await options.retention?.apply(wantedAnywhere, retain);
      const quota = afterPass && withRoomMade(afterPass, room);
      if (quota && quota.retained.length > 0) record.retained = quota.retained;
      if (!configApplied) {
        record.config_digest = last?.config_digest;
        if (record.config_digest === undefined) delete record.config_digest;
      }
      await saveAppliedState(options.appliedStatePath, record);
      applied = record;
      // Images the engine took as up to date (a pinned digest the tag holds) are checked here.
      const checked = await verify(signal, new Set(imageErrors.map((e) => e.reference)));
      imageErrors.push(...checked.imageErrors);
      replication.push(...checked.replication);
      const status = settled && checked.imageErrors.length === 0 ? "applied" : "partial";
      return {
        status,
        satelliteDigest: read.satelliteDigest,
        configDigest: record.config_digest,
        durationMs: now() - started,
        plan,
        imageErrors,
        failures,
        replication,
        repaired: checked.repaired,
        ...(quota ? { quota } : {}),
      };
    },
  };
}

/**
 * The quota's result at the end of a pass, with what making room before its fetches did. A
 * refused fetch's message wins: it counts what the pass could not fetch, the end of the pass only
 * what is stored.
 */
function withRoomMade(result: RetentionResult, room: { evicted: string[]; tooSmall?: string }): RetentionResult {
  const tooSmall = room.tooSmall ?? result.tooSmall;
  return { ...result, evicted: [...room.evicted, ...result.evicted], ...(tooSmall ? { tooSmall } : {}) };
}
