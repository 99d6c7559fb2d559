// The satellite agent: the local registry serving from the first moment to the last, and three
// jobs on one scheduler —
//   registration      ZTR until it succeeds, then stops (skipped when a saved enrolment exists);
//   state-replication one state pass at a time (satellite → groups → config; replicate, delete);
//   heartbeat         every field of SyncRequest, to Ground Control;
// and, beside them, the scheduled store scrub (self-healing-store.ts): a blob whose bytes no longer
// match its digest is quarantined, reported, and fetched again by the next state pass.
// Failures of Harbor or Ground Control are logged and retried with backoff; the registry keeps
// serving. A changed config-state artifact is applied live (intervals, log level, metrics,
// registry address) and saved (sealed). stop() ends the jobs (aborting a running pass), then
// closes the registry and the store.
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import type { RetryOptions } from "@harbor-satellite/oci";
import type { Logger } from "pino";
import type { Metrics } from "@harbor-satellite/telemetry/metrics";
import type { X509Source } from "@harbor-satellite/spiffe";
import { parseSchedule } from "../config/schedule.js";
import { pinoLevel, type SatelliteConfig } from "../config/satellite-config.js";
import type { ScryptParams } from "../fingerprint/sealed-box.js";
import { createMetricsCollector, type MetricsCollector } from "../metrics/metrics-collector.js";
import { createReplicationEngine } from "../replication/replication-engine.js";
import { createSyncGate } from "../replication/sync-gate.js";
import { validateSatelliteConfig } from "@harbor-satellite/satellite-config";
import type { RuntimePaths } from "../runtime/configure-mirrors.js";
import type { DetectedRuntime } from "../runtime/detect.js";
import type { DaemonControl } from "../runtime/docker-control.js";
import { setUpRuntimes } from "../runtime/set-up-runtimes.js";
import type { Random } from "@harbor-satellite/retry";
import type { Clock } from "../scheduler/clock.js";
import type { JobStatus } from "../scheduler/job.js";
import { createScheduler } from "../scheduler/scheduler.js";
import { systemClock } from "../scheduler/clock.js";
import { openContentStore } from "../store/open-store.js";
import { openPullLog, PULL_LOG_FILE } from "../store/pull-log.js";
import { resolveStartingConfig } from "./agent-config.js";
import type { AgentOptions } from "./agent-options.js";
import { createCachedImageCatalog } from "./cached-images.js";
import { createConfigAtRest } from "./config-at-rest.js";
import { createConfigApplier } from "./config-updates.js";
import { parseStateReference, satelliteNameFromStateUrl } from "../state/state-reference.js";
import {
  createGroundControlClient,
  groundControlTlsOptions,
  type Enrolment,
  type GroundControlClient,
  type GroundControlClientOptions,
  type HeartbeatAnswer,
} from "./ground-control-client.js";
import { collectHeartbeat } from "./heartbeat.js";
import { createSignatureGate } from "./signature-gate.js";
import { createCredentialRefresh } from "./credential-refresh.js";
import { localMirror } from "./local-mirror-access.js";
import { startSelfHealingStore } from "./self-healing-store.js";
import { openSiteRegistry } from "./site-registry.js";
import { startStoreHousekeeping } from "./store-housekeeping.js";
import { loadRegistryTls, resolveReadCredentials, resolveWriteAccess } from "../flags/registry-flags.js";
import { createStateReplicator, PartialPassError } from "./state-replication.js";
import { recordHeartbeat } from "../telemetry/heartbeat-metrics.js";
import { failureType, observeLastSuccess } from "../telemetry/replication-metrics.js";
import { rootStep, type StepResult } from "../telemetry/spans.js";
import { observeStore } from "../telemetry/store-metrics.js";

export const CONFIG_FILE = "config.json";

export interface AgentDeps {
  logger: Logger;
  /** Builds the Ground Control client (tests hand in a fake). */
  groundControl?: (options: GroundControlClientOptions) => GroundControlClient;
  /** SPIFFE mode: the SVID source (default: a Workload API watch on --spiffe-endpoint-socket). */
  x509Source?: X509Source;
  fingerprint?: () => Promise<string>;
  scrypt?: ScryptParams;
  clock?: Clock;
  random?: Random;
  metrics?: MetricsCollector;
  runtimePaths?: Partial<RuntimePaths>;
  /** The installed runtimes, when registry_fallback asks for detection (default: this machine's). */
  detectRuntimes?: () => Promise<DetectedRuntime[]>;
  /** How dockerd is reloaded after daemon.json changes (default: systemctl and the docker CLI). */
  dockerControl?: DaemonControl;
  workerThreads?: number;
  /** Retries of each Harbor request (default the registry client's). */
  upstreamRetry?: RetryOptions;
  /** Prometheus metrics: the store's and passes' gauges are reported, and /metrics is served on the registry's port unless elsewhere. */
  prometheus?: { metrics: Metrics; onRegistryPort: boolean };
}

export interface AgentStatus {
  registryUrl: string;
  enrolled: boolean;
  satellite?: string;
  heartbeatsSent: number;
  passes: number;
  jobs: Record<string, JobStatus>;
  config: SatelliteConfig;
}

export interface RunningAgent {
  readonly registryUrl: string;
  status(): AgentStatus;
  /** Resolves once the satellite holds an enrolment: how it got it ("saved", or "ztr as <name>"). */
  readonly enrolled: Promise<string>;
  stop(): Promise<void>;
}

const redactedConfig = (config: SatelliteConfig): SatelliteConfig => ({
  ...config,
  state_config: {
    ...config.state_config,
    auth: { ...config.state_config.auth, password: config.state_config.auth.password ? "[redacted]" : "" },
  },
});

export async function startAgent(options: AgentOptions, deps: AgentDeps): Promise<RunningAgent> {
  const { logger } = deps;
  await mkdir(options.dataDir, { recursive: true });
  const atRest = createConfigAtRest({
    path: join(options.dataDir, CONFIG_FILE),
    logger,
    fingerprint: deps.fingerprint,
    scrypt: deps.scrypt,
  });
  const resolved = resolveStartingConfig(options, await atRest.load());
  let config = resolved.config;
  if (resolved.reenrolReason)
    logger.warn({ reason: resolved.reenrolReason }, "saved enrolment not used; enrolling again");
  if (!options.logLevel) logger.level = pinoLevel(config.app_config.log_level);
  // Clients only pull unless write credentials are given: the content comes from Ground Control,
  // and replication writes into the store directly, never over HTTP.
  const writeAccess = await resolveWriteAccess(options.registry.writeCredentialsFile, "read-only");
  const readCredentials = await resolveReadCredentials(options.registry.readCredentialsFile);
  const registryTls = await loadRegistryTls(options.registry.tls);

  const store = await openContentStore({ root: options.dataDir, logger: logger.child({ component: "store" }) });
  const cleanups: (() => Promise<void> | void)[] = [() => store.close()];
  const cleanup = async () => {
    for (const fn of cleanups.reverse())
      await Promise.resolve(fn()).catch((error: unknown) => logger.warn({ err: error }, "shutdown step failed"));
  };
  try {
    if (deps.prometheus) cleanups.push(observeStore(store), observeLastSuccess());
    // Manifest GETs, for the store quota's least-recently-pulled order (written in batches).
    const pulls = await openPullLog({ path: join(options.dataDir, PULL_LOG_FILE), logger });
    cleanups.push(() => pulls.close());
    const served = deps.prometheus?.onRegistryPort ? deps.prometheus.metrics : undefined;
    // app_config.signature_policy: with require_signature, only verified images are served.
    const signatures = createSignatureGate({
      store,
      config: () => config,
      logger: logger.child({ component: "policy" }),
    });
    // Ours, or with bring_own_registry none: replication then pushes into that registry.
    const site = await openSiteRegistry({
      config: () => config,
      retry: deps.upstreamRetry,
      store,
      logger: logger.child({ component: "registry" }),
      host: options.registryHost,
      port: options.registryPort,
      writeAccess,
      readCredentials,
      tls: registryTls,
      limits: options.registry.limits,
      uploads: options.registry.uploads,
      metrics: served,
      onManifestPulled: (repository, digest) => pulls.note(repository, digest),
      manifestGate: signatures.gate,
    });
    const registry = site.registry;
    cleanups.push(() => site.close());
    const mirror = localMirror({
      registry,
      flags: options.registry,
      readers: readCredentials,
      config: () => config,
      logger,
    });
    // At start, and again when a config artifact changes registry_fallback to enabled.
    const pointRuntimes = async () =>
      (
        await setUpRuntimes({
          flags: options,
          registryFallback: config.app_config.registry_fallback,
          mirror: mirror.url(),
          mirrorAccess: mirror.access(),
          logger,
          paths: deps.runtimePaths,
          detect: deps.detectRuntimes,
          dockerControl: deps.dockerControl,
        })
      )?.activity;
    let pendingActivity = await pointRuntimes();

    let source = deps.x509Source;
    if (options.spiffe && !source) {
      const { createX509Source } = await import("@harbor-satellite/spiffe");
      // Returns at once: the registry serves while the Workload API is still unreachable.
      source = await createX509Source({ socket: options.spiffe.endpointSocket, readyTimeoutMs: 0 });
      const owned = source;
      cleanups.push(() => owned.close());
    }
    const { tls } = config.app_config;
    const gcOptions: GroundControlClientOptions = {
      url: config.app_config.ground_control_url,
      // app_config.tls (the original used it for Ground Control only; here Harbor calls use it too).
      tls: { ca: tls.ca_file ? await readFile(tls.ca_file, "utf8") : undefined, rejectUnauthorized: !tls.skip_verify },
      token: options.spiffe ? undefined : options.token,
      spiffe: options.spiffe && source ? { source, expectedServerId: options.spiffe.expectedServerId } : undefined,
    };
    const groundControl = (deps.groundControl ?? createGroundControlClient)(gcOptions);
    cleanups.push(() => groundControl.close());

    // Sync windows and the bandwidth cap (app_config.sync_policy), applied live on config changes.
    const syncGate = createSyncGate(config.app_config.sync_policy, deps.clock ?? systemClock);
    cleanups.push(() => syncGate.close());
    const engine = createReplicationEngine({
      store,
      target: site.target,
      logger: logger.child({ component: "replication" }),
      workerThreads: deps.workerThreads,
      gate: syncGate,
    });
    cleanups.push(() => engine.close());
    const scheduler = createScheduler({ clock: deps.clock, random: deps.random, logger });
    syncGate.onChange((status) => {
      logger.info(
        { open: status.open, max_bytes_per_second: syncGate.rate() },
        syncGate.describe() ?? "sync window open",
      );
      // An opening window resumes what the last one paused; either way Ground Control hears of it.
      if (status.open) scheduler.get("state-replication")?.trigger();
      scheduler.get("heartbeat")?.trigger();
    });
    const now = () => (deps.clock ?? systemClock).now();
    const credentials = await createCredentialRefresh({
      dataDir: options.dataDir,
      config: () => config,
      adopt: (next) => (config = next),
      save: (next) => atRest.save(next),
      triggerHeartbeat: () => scheduler.get("heartbeat")?.trigger(),
      triggerPass: () => scheduler.get("state-replication")?.trigger(),
      logger,
    });
    // A blob the scrub quarantined: tell Ground Control now, and fetch it again now.
    const selfHealing =
      options.scrub &&
      startSelfHealingStore({
        store,
        dataDir: options.dataDir,
        ...options.scrub,
        logger: logger.child({ component: "scrub" }),
        clock: deps.clock,
        metrics: deps.prometheus !== undefined,
        onCorrupt: () => ["heartbeat", "state-replication"].forEach((job) => scheduler.get(job)?.trigger()),
      });
    if (selfHealing) cleanups.push(() => selfHealing.stop());
    let satelliteName: string | undefined;
    let heartbeatsSent = 0;
    let passes = 0;
    let lastOutcome = "";
    // The store-gc job (scheduled, and after passes that removed images) and the store quota.
    const housekeeping = startStoreHousekeeping({
      store,
      scheduler,
      config: () => config,
      pulls,
      logger: logger.child({ component: "store" }),
      metrics: deps.prometheus !== undefined,
    });
    cleanups.push(() => housekeeping.close());

    const applyArtifactConfig = createConfigApplier();
    const replicator = createStateReplicator({
      dataDir: options.dataDir,
      engine,
      config: () => config,
      logger: logger.child({ component: "state" }),
      harborRegistryUrl: options.harborRegistryUrl,
      onRemoved: () => housekeeping.collectGarbage(),
      retention: housekeeping.retention,
      retry: deps.upstreamRetry,
      store: site.audit,
      // SPIFFE mode: the satellite state is read from Ground Control over mTLS, like enrolment.
      groundControlTls: gcOptions.spiffe
        ? { connectionOptions: () => groundControlTlsOptions(gcOptions.spiffe!) }
        : undefined,
      // The sync policy of a new config governs the copies of the pass that brought it.
      onConfigAhead: (document) => {
        const verdict = validateSatelliteConfig(document);
        if (verdict.ok) syncGate.apply(verdict.config.app_config.sync_policy);
        // Its signature policy too: no image of this pass is served under the old one.
        if (verdict.ok) signatures.ahead(verdict.config.app_config.signature_policy);
      },
      onConfig: async (document, digest) => {
        const next = await applyArtifactConfig({
          current: config,
          document,
          digest,
          pinned: resolved.pinned,
          options,
          logger,
          registry,
          scheduler,
          save: (c) => atRest.save(c),
        });
        const fallbackChanged = !isDeepStrictEqual(
          next.app_config.registry_fallback,
          config.app_config.registry_fallback,
        );
        config = next;
        syncGate.apply(next.app_config.sync_policy);
        if (fallbackChanged && next.app_config.registry_fallback.enabled)
          pendingActivity = (await pointRuntimes()) ?? pendingActivity;
      },
    });
    cleanups.push(() => replicator.close());

    const metrics =
      deps.metrics ??
      createMetricsCollector({
        dataDir: options.dataDir,
        switches: () => config.app_config.metrics,
        storage: async () => (await store.usage()).bytes,
      });
    const images = createCachedImageCatalog(
      site.catalog(() => replicator.owned()),
      mirror.advertisedHost,
    );
    // Enrolled now, or as the saved enrolment's state URL names it (as the heartbeat does).
    const nameForSpans = () => satelliteName ?? satelliteNameFromStateUrl(config.state_config.state) ?? "";
    const traced = <T>(name: string, attributes: Record<string, string>, fn: () => Promise<T>, result: StepResult<T>) =>
      rootStep(name, nameForSpans, attributes, fn, result);

    /** Follows Ground Control's answer: a moved satellite-state URL, and whether a pass is due now. */
    const followAnswer = async (answer: HeartbeatAnswer) => {
      if (!answer.stateUrl) return;
      if (answer.stateUrl !== config.state_config.state) {
        try {
          parseStateReference(answer.stateUrl);
        } catch (error) {
          logger.warn(
            { err: error },
            "Ground Control answered with an unusable satellite-state URL; keeping the current one",
          );
          return;
        }
        logger.info(
          { from: config.state_config.state, to: answer.stateUrl },
          "Ground Control serves this satellite's state at a new URL; following it",
        );
        config = { ...config, state_config: { ...config.state_config, state: answer.stateUrl } };
        await atRest.save(config);
      }
      if (!answer.stateDigest) return;
      if ((await replicator.note({ url: answer.stateUrl, digest: answer.stateDigest })) === "changed")
        scheduler.get("state-replication")?.trigger();
    };

    const sendHeartbeat = async (signal: AbortSignal) => {
      const carried = pendingActivity;
      const beat = credentials.decorate(
        await collectHeartbeat({
          config: () => config,
          satelliteName: () => satelliteName,
          metrics,
          images,
          replication: async () => signatures.withRefusals(await replicator.report()),
          pendingActivity: () => carried,
          syncWindow: () => syncGate.describe(),
          store: selfHealing ? () => selfHealing.report() : undefined,
        }),
      );
      const answer = await traced(
        "satellite.heartbeat",
        {},
        () => groundControl.heartbeat(beat, config.state_config.auth, signal),
        { key: "satellite.heartbeat.outcome", ok: () => "ok" },
      ).then(
        (a) => (recordHeartbeat(), a),
        (error: unknown) => {
          if (!signal.aborted) recordHeartbeat(error);
          throw error;
        },
      );
      if (pendingActivity === carried) pendingActivity = undefined;
      heartbeatsSent++;
      logger.debug({ images: beat.cachedImages.length, errors: beat.errors.length }, "heartbeat sent");
      await credentials.onAnswer(answer);
      await followAnswer(answer);
    };

    let steady = false;
    const startSteadyState = () => {
      if (steady) return;
      steady = true;
      const heartbeat = scheduler.add({
        name: "heartbeat",
        schedule: parseSchedule(config.app_config.heartbeat_interval),
        run: sendHeartbeat,
      });
      scheduler.add({
        name: "state-replication",
        schedule: parseSchedule(config.app_config.state_replication_interval),
        run: async (signal) => {
          if (!syncGate.isOpen() && !syncGate.checksStateOutsideWindow()) {
            // Nothing is read outside the windows; the heartbeat says when the next one opens.
            lastOutcome = "deferred";
            return;
          }
          let outcome = "failed";
          const started = now();
          try {
            const result = await traced("satellite.pass", {}, () => replicator.run(signal), {
              key: "satellite.pass.outcome",
              ok: (r) => (r.status === "unchanged" ? "unchanged" : "ok"),
              failed: (error) =>
                error instanceof PartialPassError ? ["partial", "partial"] : ["failed", failureType(error)],
            });
            const plan = result.plan;
            const changed = plan !== undefined && plan.add.length + plan.changed.length + plan.remove.length > 0;
            outcome = `ok ${result.satelliteDigest} ${result.configDigest ?? ""}${changed ? ` changed#${passes}` : ""}`;
            await selfHealing?.passCompleted(started);
            credentials.passSucceeded();
          } catch (error) {
            // Images whose layers wait for the next sync window: retried when it opens, not on backoff.
            if (error instanceof PartialPassError && !syncGate.isOpen()) {
              outcome = "deferred";
              return;
            }
            if (!signal.aborted) onPassFailure(error);
            throw error;
          } finally {
            passes++;
            // Tell Ground Control soon when something happened (images or digests changed, a pass
            // failed or recovered), not only at the next heartbeat tick.
            if (!signal.aborted && outcome !== lastOutcome) heartbeat.trigger();
            lastOutcome = outcome;
          }
        },
      });
    };

    let enrolments = 0;
    let registering = false;
    let markEnrolled!: (how: string) => void;
    const enrolled = new Promise<string>((resolve) => (markEnrolled = resolve));
    const startRegistration = () => {
      if (registering) return;
      registering = true;
      enrolments++;
      scheduler.add({
        name: enrolments === 1 ? "registration" : `registration-${enrolments}`,
        schedule: parseSchedule(config.app_config.register_satellite_interval),
        mode: "until-success",
        run: async (signal) => {
          // Before the token is spent: saving the result must be possible on this device.
          if (config.app_config.encrypt_config) await atRest.fingerprint();
          const enrolment: Enrolment = await traced(
            "satellite.enrol",
            { "satellite.ztr.mode": groundControl.mode },
            async () => {
              const answer = await groundControl.enrol(signal);
              satelliteName = answer.satellite || undefined; // named in the span
              return answer;
            },
            { key: "satellite.enrol.outcome", ok: () => "ok" },
          );
          config = { ...config, state_config: { auth: enrolment.auth, state: enrolment.stateUrl } };
          satelliteName = enrolment.satellite || undefined;
          await atRest.save(config);
          registering = false;
          logger.info(
            {
              satellite: enrolment.satellite,
              stateUrl: enrolment.stateUrl,
              robot: enrolment.auth.username,
              mode: groundControl.mode,
            },
            "enrolled with Ground Control",
          );
          markEnrolled(`ztr as ${enrolment.satellite}`);
          // A re-enrolment (fresh robot secret): retry the failed pass now rather than after its backoff.
          if (steady) scheduler.get("state-replication")?.trigger();
          startSteadyState();
        },
      });
    };
    const onPassFailure = (error: unknown) => {
      if ((error as { status?: unknown }).status !== 401) return;
      if (groundControl.mode === "spiffe") {
        if (!registering)
          logger.warn("Harbor refused the robot credentials; enrolling again over SPIFFE for fresh ones");
        startRegistration();
      } else credentials.harborRefused();
    };

    if (resolved.needsEnrolment) startRegistration();
    else {
      logger.info(
        { stateUrl: config.state_config.state },
        options.token ? "using the saved enrolment (the --token is not needed any more)" : "using the saved enrolment",
      );
      markEnrolled("saved");
      startSteadyState();
    }

    return {
      get registryUrl() {
        return registry.url;
      },
      enrolled,
      status: () => ({
        registryUrl: registry.url,
        enrolled: steady,
        satellite: satelliteName,
        heartbeatsSent,
        passes,
        jobs: scheduler.statuses(),
        config: redactedConfig(config),
      }),
      async stop() {
        const bound = new Promise<void>((resolve) => setTimeout(resolve, options.shutdownTimeoutMs).unref());
        await Promise.race([scheduler.stop(), bound]);
        await cleanup();
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
