// The satellite agent: the local registry serving from the first moment to the last, and three
// jobs on one scheduler —
//   registration      ZTR until it succeeds, then stops (skipped when a saved enrolment exists);
//   state-replication one state pass at a time (satellite → groups → config; replicate, delete);
//   heartbeat         every field of SyncRequest, to Ground Control;
// started as the agent's phase says (lifecycle.ts: enrolling → steady, re-enrolling or
// needs-enrolment when Harbor refuses the robot, stopped); the jobs share one AgentState;
// and, beside them, the scheduled store scrub (self-healing-store.ts): a blob whose bytes no longer
// match its digest is quarantined, reported, and fetched again by the next state pass.
// Failures of Harbor or Ground Control are logged and retried with backoff; the registry keeps
// serving. A changed config-state artifact is applied live (intervals, log level, metrics,
// registry address) and saved (sealed). stop() ends the jobs (aborting a running pass), then
// closes the registry and the store.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { RetryOptions } from "@harbor-satellite/oci";
import type { Logger } from "pino";
import type { Metrics } from "@harbor-satellite/telemetry/metrics";
import type { X509Source } from "@harbor-satellite/spiffe";
import { parseSchedule } from "../config/schedule.js";
import { pinoLevel } from "../config/satellite-config.js";
import type { ScryptParams } from "../fingerprint/sealed-box.js";
import { createMetricsCollector, type MetricsCollector } from "../metrics/metrics-collector.js";
import { createReplicationEngine } from "../replication/replication-engine.js";
import { createSyncGate } from "../replication/sync-gate.js";
import type { RuntimePaths } from "../runtime/configure-mirrors.js";
import type { DetectedRuntime } from "../runtime/detect.js";
import type { DaemonControl } from "../runtime/docker-control.js";
import type { Random } from "@harbor-satellite/retry";
import type { Clock } from "../scheduler/clock.js";
import { createScheduler } from "../scheduler/scheduler.js";
import { systemClock } from "../scheduler/clock.js";
import { openContentStore } from "../store/open-store.js";
import { openPullLog, PULL_LOG_FILE } from "../store/pull-log.js";
import { resolveStartingConfig } from "./agent-config.js";
import type { AgentOptions } from "./agent-options.js";
import { createCachedImageCatalog } from "./cached-images.js";
import { createConfigAtRest } from "./config-at-rest.js";
import { createConfigApplier } from "./config-updates.js";
import { followConfig } from "./config-following.js";
import { satelliteNameFromStateUrl } from "../state/state-reference.js";
import {
  groundControlTlsOptions,
  type GroundControlClient,
  type GroundControlClientOptions,
} from "./ground-control-client.js";
import { connectGroundControl } from "./ground-control-connection.js";
import { createSignatureGate } from "./signature-gate.js";
import { createCredentialRefresh } from "./credential-refresh.js";
import { startSelfHealingStore } from "./self-healing-store.js";
import { openSiteRegistry } from "./site-registry.js";
import { startStoreHousekeeping } from "./store-housekeeping.js";
import { loadRegistryTls, resolveReadCredentials, resolveWriteAccess } from "../flags/registry-flags.js";
import { createStateReplicator } from "./state-replication.js";
import { observeLastSuccess } from "../telemetry/replication-metrics.js";
import { rootStep } from "../telemetry/root-step.js";
import { redactedConfig, type AgentState, type RunningAgent, type Traced } from "./agent-state.js";
import { createEnrolmentJob } from "./enrolment-job.js";
import { createHeartbeatJob } from "./heartbeat-job.js";
import { createLifecycle } from "./lifecycle.js";
import { createPassJob } from "./pass-job.js";
import { runtimePointing } from "./runtime-pointing.js";
import { observeStore } from "../telemetry/store-metrics.js";
import { CONFIG_FILE } from "../config/config-file.js";

export { CONFIG_FILE };

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
  const state: AgentState = { config: resolved.config, heartbeatsSent: 0, passes: 0, lastPassOutcome: "" };
  if (resolved.reenrolReason)
    logger.warn({ reason: resolved.reenrolReason }, "saved enrolment not used; enrolling again");
  if (!options.logLevel) logger.level = pinoLevel(state.config.app_config.log_level);
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
      config: () => state.config,
      logger: logger.child({ component: "policy" }),
    });
    // Ours, or with bring_own_registry none: replication then pushes into that registry.
    const site = await openSiteRegistry({
      config: () => state.config,
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
    // At start, and again when a config artifact changes registry_fallback to enabled.
    const { mirror, pointRuntimes } = runtimePointing({
      registry,
      options,
      readers: readCredentials,
      config: () => state.config,
      logger,
      runtimePaths: deps.runtimePaths,
      detectRuntimes: deps.detectRuntimes,
      dockerControl: deps.dockerControl,
    });
    state.pendingActivity = await pointRuntimes();

    const connection = await connectGroundControl(options, state.config, deps);
    cleanups.push(() => connection.close());
    const { client: groundControl, options: gcOptions } = connection;

    // Sync windows and the bandwidth cap (app_config.sync_policy), applied live on config changes.
    const syncGate = createSyncGate(state.config.app_config.sync_policy, deps.clock ?? systemClock);
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
      config: () => state.config,
      adopt: (next) => (state.config = next),
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
    // The store-gc job (scheduled, and after passes that removed images) and the store quota.
    const housekeeping = startStoreHousekeeping({
      store,
      scheduler,
      config: () => state.config,
      pulls,
      logger: logger.child({ component: "store" }),
      metrics: deps.prometheus !== undefined,
    });
    cleanups.push(() => housekeeping.close());

    const applyArtifactConfig = createConfigApplier();
    const replicator = createStateReplicator({
      dataDir: options.dataDir,
      engine,
      config: () => state.config,
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
      ...followConfig({
        state,
        apply: (current, document, digest) =>
          applyArtifactConfig({
            current,
            document,
            digest,
            pinned: resolved.pinned,
            options,
            logger,
            registry,
            scheduler,
            save: (c) => atRest.save(c),
          }),
        syncGate,
        signatures,
        pointRuntimes,
      }),
    });
    cleanups.push(() => replicator.close());

    const metrics =
      deps.metrics ??
      createMetricsCollector({
        dataDir: options.dataDir,
        switches: () => state.config.app_config.metrics,
        storage: async () => (await store.usage()).bytes,
      });
    const images = createCachedImageCatalog(
      site.catalog(() => replicator.owned()),
      mirror.advertisedHost,
    );
    // Enrolled now, or as the saved enrolment's state URL names it (as the heartbeat does).
    const nameForSpans = () => state.satelliteName ?? satelliteNameFromStateUrl(state.config.state_config.state) ?? "";
    const traced: Traced = (name, attributes, fn, result) => rootStep(name, nameForSpans, attributes, fn, result);
    const trigger = (job: string) => scheduler.get(job)?.trigger();

    let steadyJobs = false;
    const startSteadyJobs = () => {
      if (steadyJobs) return;
      steadyJobs = true;
      scheduler.add({
        name: "heartbeat",
        schedule: parseSchedule(state.config.app_config.heartbeat_interval),
        run: createHeartbeatJob({
          state,
          logger,
          groundControl,
          atRest,
          replicator,
          credentials,
          signatures,
          syncGate,
          selfHealing: selfHealing || undefined,
          metrics,
          images,
          traced,
          triggerPass: () => trigger("state-replication"),
        }),
      });
      scheduler.add({
        name: "state-replication",
        schedule: parseSchedule(state.config.app_config.state_replication_interval),
        run: createPassJob({
          state,
          replicator,
          syncGate,
          selfHealing: selfHealing || undefined,
          credentials,
          traced,
          now,
          triggerHeartbeat: () => trigger("heartbeat"),
          onFailure: onPassFailure,
          onSuccess: () => lifecycle.fire("credentials-accepted"),
        }),
      });
    };

    let enrolments = 0;
    let markEnrolled!: (how: string) => void;
    const enrolled = new Promise<string>((resolve) => (markEnrolled = resolve));
    const startRegistration = () => {
      enrolments++;
      scheduler.add({
        name: enrolments === 1 ? "registration" : `registration-${enrolments}`,
        schedule: parseSchedule(state.config.app_config.register_satellite_interval),
        mode: "until-success",
        run: createEnrolmentJob({
          state,
          logger,
          groundControl,
          atRest,
          traced,
          onEnrolled: (enrolment) => {
            markEnrolled(`ztr as ${enrolment.satellite}`);
            lifecycle.fire("enrolled");
          },
        }),
      });
    };
    // What each phase starts (lifecycle.ts has the table).
    const lifecycle = createLifecycle(
      resolved.needsEnrolment ? "enrolling" : "steady",
      groundControl.mode,
      (phase, from) => {
        logger.info({ phase, from }, `agent ${phase}`);
        if (phase === "re-enrolling") {
          logger.warn("Harbor refused the robot credentials; enrolling again over SPIFFE for fresh ones");
          startRegistration();
        } else if (phase === "steady") {
          startSteadyJobs();
          // A new enrolment (fresh robot secret): retry the failed pass now, not after its backoff;
          // a pass still running began with the refused secret, so run once more after it.
          if (from === "re-enrolling") scheduler.get("state-replication")?.trigger("queue");
        }
      },
    );
    function onPassFailure(error: unknown) {
      if ((error as { status?: unknown }).status !== 401) return;
      // Token mode: a heartbeat asks for a rotated secret first; needs-enrolment once none came.
      if (groundControl.mode !== "spiffe") credentials.harborRefused();
      if (groundControl.mode === "spiffe" || credentials.needsReenrolment) lifecycle.fire("harbor-refused");
    }

    if (resolved.needsEnrolment) startRegistration();
    else {
      logger.info(
        { stateUrl: state.config.state_config.state },
        options.token ? "using the saved enrolment (the --token is not needed any more)" : "using the saved enrolment",
      );
      markEnrolled("saved");
      startSteadyJobs();
    }

    return {
      get registryUrl() {
        return registry.url;
      },
      enrolled,
      status: () => ({
        registryUrl: registry.url,
        phase: lifecycle.phase,
        enrolled: steadyJobs,
        satellite: state.satelliteName,
        heartbeatsSent: state.heartbeatsSent,
        passes: state.passes,
        jobs: scheduler.statuses(),
        config: redactedConfig(state.config),
      }),
      async stop() {
        lifecycle.fire("stop");
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
