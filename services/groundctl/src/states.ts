// Health and drift as groundctl names them (`online`, `never_seen`, `in_sync`, `wrong_digest`),
// and reading drift from a Ground Control that may predate it.
import { Code, ConnectError } from "@connectrpc/connect";
import { DriftState, Health, ImageDriftKind } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";

export const HEALTHS = [Health.ONLINE, Health.STALE, Health.NEVER_SEEN] as const;
export const DRIFT_STATES = [
  DriftState.IN_SYNC,
  DriftState.CONVERGING,
  DriftState.FAILING,
  DriftState.STALE,
  DriftState.NEVER_SEEN,
] as const;

const lowerName = (names: Record<number, string>, value: number) =>
  typeof names[value] === "string" ? names[value].toLowerCase() : String(value);

export const healthName = (health: Health): string => lowerName(Health, health);
export const driftName = (state: DriftState): string => lowerName(DriftState, state);
export const imageDriftName = (kind: ImageDriftKind): string => lowerName(ImageDriftKind, kind);

/**
 * The drift rpc's answer, or undefined when this Ground Control has no drift rpcs (older than
 * v0.2: Unimplemented), so status still shows health there.
 */
export async function unlessUnimplemented<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ConnectError && error.code === Code.Unimplemented) return undefined;
    throw error;
  }
}
