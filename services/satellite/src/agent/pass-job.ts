// The state-replication job: one state pass (satellite → groups → config; replicate, delete)
// under the sync windows, its outcome traced, and a heartbeat as soon as the outcome changes.
import type { SyncGate } from "../replication/sync-gate.js";
import { failureType } from "../telemetry/replication-metrics.js";
import type { AgentState, Traced } from "./agent-state.js";
import type { CredentialRefresh } from "./credential-refresh.js";
import type { SelfHealingStore } from "./self-healing-store.js";
import { PartialPassError, type StateReplicator } from "./state-replication.js";

export interface PassJobOptions {
  state: AgentState;
  replicator: Pick<StateReplicator, "run">;
  syncGate: Pick<SyncGate, "isOpen" | "checksStateOutsideWindow">;
  selfHealing?: Pick<SelfHealingStore, "passCompleted">;
  credentials: Pick<CredentialRefresh, "passSucceeded">;
  traced: Traced;
  now(): number;
  triggerHeartbeat(): void;
  /** A pass failed (not aborted) with the credentials still held: the agent decides what a 401 means. */
  onFailure(error: unknown): void;
  /** A pass went through with the credentials held. */
  onSuccess(): void;
}

export function createPassJob(options: PassJobOptions): (signal: AbortSignal) => Promise<void> {
  const { state, syncGate } = options;
  return async (signal) => {
    if (!syncGate.isOpen() && !syncGate.checksStateOutsideWindow()) {
      // Nothing is read outside the windows; the heartbeat says when the next one opens.
      state.lastPassOutcome = "deferred";
      return;
    }
    let outcome = "failed";
    const started = options.now();
    const password = state.config.state_config.auth.password;
    try {
      const result = await options.traced("satellite.pass", {}, () => options.replicator.run(signal), {
        key: "satellite.pass.outcome",
        ok: (r) => (r.status === "unchanged" ? "unchanged" : "ok"),
        failed: (error) =>
          error instanceof PartialPassError ? ["partial", "partial"] : ["failed", failureType(error)],
      });
      const plan = result.plan;
      const changed = plan !== undefined && plan.add.length + plan.changed.length + plan.remove.length > 0;
      outcome = `ok ${result.satelliteDigest} ${result.configDigest ?? ""}${changed ? ` changed#${state.passes}` : ""}`;
      await options.selfHealing?.passCompleted(started);
      options.credentials.passSucceeded();
      options.onSuccess();
    } catch (error) {
      // Images whose layers wait for the next sync window: retried when it opens, not on backoff.
      if (error instanceof PartialPassError && !syncGate.isOpen()) {
        outcome = "deferred";
        return;
      }
      // A refusal of credentials replaced while the pass ran (a new enrolment or a rotation) says
      // nothing about the new ones: enrolling again for it would spend a second enrolment.
      const sameCredentials = state.config.state_config.auth.password === password;
      if (!signal.aborted && sameCredentials) options.onFailure(error);
      throw error;
    } finally {
      state.passes++;
      // Tell Ground Control soon when something happened (images or digests changed, a pass
      // failed or recovered), not only at the next heartbeat tick.
      if (!signal.aborted && outcome !== state.lastPassOutcome) options.triggerHeartbeat();
      state.lastPassOutcome = outcome;
    }
  };
}
