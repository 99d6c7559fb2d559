// The agent's steps (enrolment, heartbeat, pass) as root spans of their own traces
// (observability/spans.md). Apart from spans.ts because a failed step is named by its Connect
// code, and `satellite sync --once`, which uses spans.ts, must not load Connect and protobuf.
import { ConnectError } from "@connectrpc/connect";
import { ROOT_CONTEXT } from "@opentelemetry/api";
import { connectCodeName } from "@harbor-satellite/telemetry";
import { failureType } from "./replication-metrics.js";
import { inSpan, markFailed } from "./spans.js";

/** Why a call to Ground Control failed: its Connect code (`unavailable`, `unauthenticated`…), else as for replication. */
function callErrorType(error: unknown): string {
  if (error instanceof ConnectError) return connectCodeName(error.code);
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === "string" && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
  return failureType(error);
}

export interface StepResult<T> {
  /** The attribute naming the outcome (`satellite.pass.outcome`…). */
  key: string;
  ok: (value: T) => string;
  /** Outcome and error.type of a failure; default `failed` and the call's error type. */
  failed?: (error: unknown) => [outcome: string, errorType: string];
}

/**
 * Runs one agent step (enrolment, heartbeat, pass) as the root span of its own trace
 * (observability/spans.md), named for the satellite as it is known when the step starts and ends.
 */
export function rootStep<T>(
  name: string,
  satelliteName: () => string,
  attributes: Record<string, string>,
  fn: () => Promise<T>,
  result: StepResult<T>,
): Promise<T> {
  return inSpan(
    name,
    { "satellite.name": satelliteName(), ...attributes },
    async (span) => {
      try {
        const value = await fn();
        span.setAttributes({ [result.key]: result.ok(value), "satellite.name": satelliteName() });
        return value;
      } catch (error) {
        const [outcome, errorType] = result.failed?.(error) ?? ["failed", callErrorType(error)];
        span.setAttribute(result.key, outcome);
        markFailed(span, errorType, error);
        throw error;
      }
    },
    { parent: ROOT_CONTEXT },
  );
}
