// `satellite.heartbeats`: heartbeats to Ground Control by outcome (ok, failed) and, for failures,
// error.type: the Connect code (unavailable, unauthenticated…) or the network error's code.
import { ConnectError } from "@connectrpc/connect";
import { connectCodeName } from "@harbor-satellite/telemetry";
import { instrumentScope, type Attributes } from "@harbor-satellite/telemetry/metrics/instruments";

const heartbeats = instrumentScope("@harbor-satellite/satellite").counter("satellite.heartbeats", {
  unit: "{heartbeat}",
  description: "Heartbeats sent to Ground Control, by outcome (ok, failed) and error.type for failures.",
});

const OK = { outcome: "ok" };
const failures = new Map<string, Attributes>();

function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (error instanceof ConnectError || typeof code === "number") return connectCodeName(code as number);
  for (let e = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const errno = (e as { code?: unknown }).code;
    if (typeof errno === "string" && /^[A-Z][A-Z0-9_]{1,40}$/.test(errno)) return errno;
  }
  return "_OTHER";
}

export function recordHeartbeat(error?: unknown): void {
  if (error === undefined) return heartbeats.add(1, OK);
  const type = errorType(error);
  let attributes = failures.get(type);
  if (!attributes) failures.set(type, (attributes = { outcome: "failed", "error.type": type }));
  heartbeats.add(1, attributes);
}
