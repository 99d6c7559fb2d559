// The state-replication job's work: one state pass (satellite state → group states → config,
// replicate, delete) with the robot credentials and Harbor settings of the current config, and
// what the heartbeat reports about the last pass. The state fetcher (keep-alive connections,
// cached registry tokens) is kept across passes and rebuilt only when the credentials or Harbor
// settings change. Robot credentials go only to Harbor's own host and to Ground Control's (which
// serves the satellite state). Every pass, including one Ground Control's answer made
// request-free, checks the owned images against the store and repairs what was damaged.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { RetryOptions, TlsOptions } from "@harbor-satellite/oci";
import type { Logger } from "pino";
import type { SatelliteConfig } from "../config/satellite-config.js";
import type { OwnedImage } from "../replication/desired-image.js";
import type { ReplicationEngine, UpstreamOptions } from "../replication/replication-engine.js";
import { loadAppliedState } from "../state/applied-state.js";
import { createStateFetcher, type StateFetcher } from "../state/state-fetcher.js";
import type { AuditStore } from "../state/owned-audit.js";
import type { Retention } from "../state/retention.js";
import { createStatePass, type StatePass, type StatePassResult } from "../state/state-pass.js";
import { createStateReader } from "../state/state-reader.js";
import { hostOf, resolveRegistryUrl } from "../state/state-reference.js";
import { noteStateReadFailures, noteSuccessfulPass } from "../telemetry/replication-metrics.js";

export const APPLIED_STATE_FILE = "state.json";

/** What the heartbeat says about replication. */
export interface ReplicationReport {
  stateDigest: string;
  configDigest: string;
  lastSyncDurationMs: number;
  /** Per image (`repository:tag`), per unreadable state artifact (its URL), or the whole pass. */
  errors: { reference: string; message: string }[];
  /** One line for the heartbeat's activity. */
  summary: string;
}

export interface StateReplicator {
  run(signal: AbortSignal): Promise<StatePassResult>;
  /**
   * Ground Control's word (a heartbeat answer) on the satellite state: "changed" when it differs
   * from what was applied. One answer vouches for one pass: the next pass makes no request when
   * the applied state is complete and is the one Ground Control named.
   */
  note(answer: { url: string; digest: string }): Promise<"current" | "changed">;
  report(): Promise<ReplicationReport>;
  /** The images the applied state owns (what replication put into the target). */
  owned(): Promise<OwnedImage[]>;
  close(): void;
}

export interface StateReplicatorOptions {
  dataDir: string;
  engine: Pick<ReplicationEngine, "replicate">;
  config: () => SatelliteConfig;
  logger: Logger;
  /** `--harbor-registry-url` (wins over app_config.harbor_registry_url). */
  harborRegistryUrl?: string;
  onConfig: (document: unknown, digest: string) => Promise<void>;
  /** A changed config document before the pass replicates (see StatePassOptions.onConfigAhead). */
  onConfigAhead?: (document: unknown) => void;
  /** Called after a pass that untagged or evicted images (the agent collects garbage then). */
  onRemoved?: () => void;
  /** Retention of dropped images under the store quota (state/retention.ts). */
  retention?: Retention;
  /** Retries of each upstream request (default the registry client's: 5 attempts with backoff). */
  retry?: RetryOptions;
  /** TLS for reading the satellite state from Ground Control (SPIFFE mTLS in SPIFFE mode). */
  groundControlTls?: TlsOptions;
  /** The store or a bring-your-own registry: owned images are checked there every pass (none when absent). */
  store?: AuditStore;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

const statusOf = (error: unknown): unknown =>
  (error as { status?: unknown } | undefined)?.status ??
  (error as { cause?: { status?: unknown } } | undefined)?.cause?.status;

/**
 * A pass that applied only part of the state. `status` is 401 when Harbor refused the robot's
 * credentials for a group or config state or an image: the satellite state now comes from Ground
 * Control, so a stale robot secret shows there, not in the pass's first request (the agent then
 * enrols again, as after a refused satellite state).
 */
export class PartialPassError extends Error {
  readonly status?: number;

  constructor(result: StatePassResult) {
    super(
      `state applied partly: ${result.imageErrors.length} image(s) and ${result.failures.length} state artifact(s) failed`,
    );
    this.name = "PartialPassError";
    const errors = [
      ...result.failures.map((f) => f.error),
      ...result.replication.flatMap((s) => s.failed.map((f) => f.error)),
    ];
    if (errors.some((e) => statusOf(e) === 401)) this.status = 401;
  }
}

export function createStateReplicator(options: StateReplicatorOptions): StateReplicator {
  const appliedStatePath = join(options.dataDir, APPLIED_STATE_FILE);
  let built: { key: string; fetcher: StateFetcher; pass: StatePass } | undefined;
  let last:
    { result?: StatePassResult; error?: { reference: string; message: string }; durationMs: number } | undefined;
  let vouched: { url: string; digest: string } | undefined;
  /** The last quota verdict, kept until a pass applies the quota again (unchanged passes do not). */
  let quotaTooSmall: string | undefined;
  const applied = () => (built ? built.pass.applied() : loadAppliedState(appliedStatePath));

  /** The applied state, when Ground Control's last answer vouches that it is still current. */
  const stillCurrent = async (stateUrl: string): Promise<StatePassResult | undefined> => {
    const word = vouched;
    vouched = undefined;
    if (!word || word.url !== stateUrl) return undefined;
    const state = await applied();
    if (!state?.complete || state.satellite_state_url !== stateUrl || state.satellite_state_digest !== word.digest)
      return undefined;
    return {
      status: "unchanged",
      satelliteDigest: state.satellite_state_digest,
      configDigest: state.config_digest,
      durationMs: 0,
      imageErrors: [],
      failures: [],
      replication: [],
    };
  };

  const settings = (config: SatelliteConfig) => {
    const { auth } = config.state_config;
    const app = config.app_config;
    return {
      auth,
      stateUrl: config.state_config.state,
      registryOverride: options.harborRegistryUrl || app.harbor_registry_url || undefined,
      insecure: app.use_unsecure,
      skipVerify: app.tls.skip_verify,
      caFile: app.tls.ca_file,
    };
  };

  const build = async (config: SatelliteConfig) => {
    const s = settings(config);
    const key = JSON.stringify(s);
    if (built?.key === key) return built;
    built?.fetcher.close();
    const ca = s.caFile ? await readFile(s.caFile, "utf8") : undefined;
    const tls = { insecureSkipVerify: s.skipVerify, ...(ca ? { ca } : {}) };
    const fetcher = createStateFetcher({
      auth: s.auth,
      stateUrl: s.stateUrl,
      registryOverride: s.registryOverride,
      insecure: s.insecure,
      tls,
      groundControlTls: options.groundControlTls,
      retry: options.retry,
    });
    const harborHost = resolveRegistryUrl(s.auth.url, {
      registryOverride: s.registryOverride,
      harborHost: hostOf(s.auth.url),
      insecure: s.insecure,
    }).host;
    const upstream = (registryUrl: string): UpstreamOptions => {
      const sameHost = new URL(registryUrl).host.toLowerCase() === harborHost;
      return {
        url: registryUrl,
        credentials: sameHost ? { username: s.auth.username, password: s.auth.password } : undefined,
        insecureSkipVerify: s.skipVerify,
        ...(ca ? { ca } : {}),
        retry: options.retry,
      };
    };
    const pass = createStatePass({
      reader: createStateReader({ fetcher, logger: options.logger }),
      engine: options.engine,
      appliedStatePath,
      upstream,
      onConfig: options.onConfig,
      onConfigAhead: options.onConfigAhead,
      logger: options.logger,
      store: options.store,
      retention: options.retention,
    });
    built = { key, fetcher, pass };
    return built;
  };

  return {
    async run(signal) {
      const config = options.config();
      const started = performance.now();
      const stateUrl = config.state_config.state;
      let result: StatePassResult;
      try {
        const current = await stillCurrent(stateUrl);
        const { pass } = await build(config);
        if (current) {
          // No state request, but the owned images are still checked (local reads only).
          const checked = await pass.verify(signal);
          const status = checked.imageErrors.length > 0 ? "partial" : "unchanged";
          result = {
            ...current,
            status,
            imageErrors: checked.imageErrors,
            replication: checked.replication,
            repaired: checked.repaired,
            durationMs: performance.now() - started,
          };
        } else {
          result = await pass.run(stateUrl, signal);
        }
      } catch (error) {
        last = { error: { reference: stateUrl, message: messageOf(error) }, durationMs: performance.now() - started };
        noteStateReadFailures([error]);
        throw error;
      }
      last = { result, durationMs: result.durationMs };
      noteStateReadFailures(result.failures.map((f) => f.error));
      if (result.status !== "partial") noteSuccessfulPass();
      if (result.quota) quotaTooSmall = result.quota.tooSmall;
      const removed = (result.plan?.remove.length ?? 0) + (result.quota?.evicted.length ?? 0);
      if (result.status !== "unchanged") {
        options.logger.info(
          {
            status: result.status,
            satelliteDigest: result.satelliteDigest,
            add: result.plan?.add.length,
            changed: result.plan?.changed.length,
            removed,
            evicted: result.quota?.evicted.length,
            errors: result.imageErrors.length,
            failures: result.failures.length,
            ms: Math.round(result.durationMs),
          },
          "state pass done",
        );
      }
      if (removed > 0) options.onRemoved?.();
      // A partial pass is retried on the job's backoff, like a failed one; the heartbeat reports its errors.
      if (result.status === "partial") throw new PartialPassError(result);
      return result;
    },
    async note(answer) {
      const state = await applied();
      const current = state?.satellite_state_url === answer.url && state.satellite_state_digest === answer.digest;
      vouched = current && state.complete ? answer : undefined;
      return current ? "current" : "changed";
    },
    async report() {
      const state = await applied();
      const result = last?.result;
      const errors = last?.error
        ? [last.error]
        : [
            ...(result?.imageErrors ?? []),
            ...(result?.failures ?? []).map((f) => ({ reference: f.url, message: messageOf(f.error) })),
          ];
      if (quotaTooSmall) errors.push({ reference: "app_config.store_quota", message: quotaTooSmall });
      const summary = last?.error
        ? `last pass failed: ${last.error.message}`
        : result
          ? `last pass ${result.status}: ${result.replication.reduce((n, s) => n + s.images.filter((i) => i.status === "copied").length, 0)} copied, ${result.plan?.remove.length ?? 0} removed, ${errors.length} failed`
          : "no pass yet";
      return {
        stateDigest: result?.satelliteDigest ?? state?.satellite_state_digest ?? "",
        configDigest: result?.configDigest ?? state?.config_digest ?? "",
        lastSyncDurationMs: Math.round(last?.durationMs ?? 0),
        errors,
        summary,
      };
    },
    owned: async () => (await applied())?.owned ?? [],
    close() {
      built?.fetcher.close();
      built = undefined;
    },
  };
}
