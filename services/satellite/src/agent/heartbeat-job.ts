// The heartbeat job: every field of SyncRequest to Ground Control, then what its answer says — a
// rotated robot secret (credential-refresh.ts), a moved satellite-state URL, a pass due now.
import type { Logger } from "pino";
import type { MetricsCollector } from "../metrics/metrics-collector.js";
import type { SyncGate } from "../replication/sync-gate.js";
import { parseStateReference } from "../state/state-reference.js";
import { recordHeartbeat } from "../telemetry/heartbeat-metrics.js";
import type { AgentState, Traced } from "./agent-state.js";
import type { CachedImageCatalog } from "./cached-images.js";
import type { ConfigAtRest } from "./config-at-rest.js";
import type { CredentialRefresh } from "./credential-refresh.js";
import type { GroundControlClient, HeartbeatAnswer } from "./ground-control-client.js";
import { collectHeartbeat } from "./heartbeat.js";
import type { SelfHealingStore } from "./self-healing-store.js";
import type { SignatureGate } from "./signature-gate.js";
import type { StateReplicator } from "./state-replication.js";

export interface HeartbeatJobOptions {
  state: AgentState;
  logger: Logger;
  groundControl: GroundControlClient;
  atRest: Pick<ConfigAtRest, "save">;
  replicator: Pick<StateReplicator, "report" | "note">;
  credentials: Pick<CredentialRefresh, "decorate" | "onAnswer">;
  signatures: Pick<SignatureGate, "withRefusals">;
  syncGate: Pick<SyncGate, "describe">;
  selfHealing?: Pick<SelfHealingStore, "report">;
  metrics: MetricsCollector;
  images: CachedImageCatalog;
  traced: Traced;
  triggerPass(): void;
}

export function createHeartbeatJob(options: HeartbeatJobOptions): (signal: AbortSignal) => Promise<void> {
  const { state, logger, replicator } = options;

  /** Follows Ground Control's answer: a moved satellite-state URL, and whether a pass is due now. */
  const followAnswer = async (answer: HeartbeatAnswer) => {
    if (!answer.stateUrl) return;
    if (answer.stateUrl !== state.config.state_config.state) {
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
        { from: state.config.state_config.state, to: answer.stateUrl },
        "Ground Control serves this satellite's state at a new URL; following it",
      );
      state.config = { ...state.config, state_config: { ...state.config.state_config, state: answer.stateUrl } };
      await options.atRest.save(state.config);
    }
    if (!answer.stateDigest) return;
    if ((await replicator.note({ url: answer.stateUrl, digest: answer.stateDigest })) === "changed")
      options.triggerPass();
  };

  return async (signal) => {
    const carried = state.pendingActivity;
    const beat = options.credentials.decorate(
      await collectHeartbeat({
        config: () => state.config,
        satelliteName: () => state.satelliteName,
        metrics: options.metrics,
        images: options.images,
        replication: async () => options.signatures.withRefusals(await replicator.report()),
        pendingActivity: () => carried,
        syncWindow: () => options.syncGate.describe(),
        store: options.selfHealing ? () => options.selfHealing!.report() : undefined,
      }),
    );
    const answer = await options
      .traced(
        "satellite.heartbeat",
        {},
        () => options.groundControl.heartbeat(beat, state.config.state_config.auth, signal),
        {
          key: "satellite.heartbeat.outcome",
          ok: () => "ok",
        },
      )
      .then(
        (a) => (recordHeartbeat(), a),
        (error: unknown) => {
          if (!signal.aborted) recordHeartbeat(error);
          throw error;
        },
      );
    if (state.pendingActivity === carried) state.pendingActivity = undefined;
    state.heartbeatsSent++;
    logger.debug({ images: beat.cachedImages.length, errors: beat.errors.length }, "heartbeat sent");
    await options.credentials.onAnswer(answer);
    await followAnswer(answer);
  };
}
