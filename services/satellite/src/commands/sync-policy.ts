// `sync --once` under the edge policy, with the agent's own pieces: the sync gate
// (replication/sync-gate.ts: the windows and the one shared bandwidth bucket the engine's copies
// draw from) and the signature policy (policy/signature-policy.ts: the verdict the agent's
// registry serves by). What is left here is what a one-shot pass must decide itself: what to do
// when it starts outside a window, whether a failure was a window closing, and which of the
// images it replicated the signature policy refuses.
import type { SyncPolicyConfig } from "@harbor-satellite/satellite-config";
import { createSyncGate, NO_SYNC_POLICY, SyncWindowClosedError, type SyncGate } from "../replication/sync-gate.js";
import type { ReplicationSummary } from "../replication/index.js";
import type { SignaturePolicy } from "../policy/signature-policy.js";
import { systemClock, type Clock } from "../scheduler/clock.js";
import type { SyncConfig } from "./sync-args.js";

/** The gate for this pass: the config's windows and cap; with --ignore-window, the cap alone. */
export function syncGateFor(
  policy: SyncPolicyConfig | undefined,
  outsideWindow: SyncConfig["outsideWindow"],
  clock: Clock = systemClock,
): SyncGate {
  const sync = policy ?? NO_SYNC_POLICY;
  return createSyncGate(outsideWindow === "ignore" ? { ...sync, windows: [] } : sync, clock);
}

/**
 * Whether the pass may fetch now. Open: true at once. Closed: false at once, unless `mode` is
 * "wait" and a window opens again — then `onWait` hears when, and this resolves true when it
 * opens (or rejects with the signal's reason when the pass is interrupted first).
 */
export function windowOpen(
  gate: Pick<SyncGate, "status" | "onChange">,
  mode: SyncConfig["outsideWindow"],
  signal?: AbortSignal,
  onWait?: (nextOpenAt: number) => void,
): Promise<boolean> {
  const status = gate.status();
  if (status.open) return Promise.resolve(true);
  if (mode !== "wait" || status.nextOpenAt === undefined) return Promise.resolve(false);
  onWait?.(status.nextOpenAt);
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => reject(signal!.reason as Error);
    signal?.addEventListener("abort", onAbort, { once: true });
    gate.onChange((next) => {
      if (!next.open) return;
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    });
  });
}

/** Whether an image's failure was a sync window closing on its copy (anywhere in the cause chain). */
export function stoppedByWindow(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause)
    if (cause instanceof SyncWindowClosedError) return true;
  return false;
}

export interface Refusal {
  /** `repository:tag` */
  image: string;
  /** The refusal's reason code (`unsigned`, `signature-invalid`…). */
  reason: string;
  /** `not served: signature required (<reason code>): <reason>`, as the agent's heartbeat says it. */
  message: string;
}

/** The images this pass holds (copied or unchanged) that the signature policy refuses to serve. */
export async function refusedImages(signatures: SignaturePolicy, summary: ReplicationSummary): Promise<Refusal[]> {
  if (!signatures.enabled) return [];
  const held = new Set(
    summary.images.filter((r) => r.status === "copied" || r.status === "unchanged").map((r) => r.image),
  );
  return (await signatures.refusals())
    .filter((r) => held.has(r.reference))
    .map((r) => ({ image: r.reference, reason: r.reason, message: r.message }));
}
