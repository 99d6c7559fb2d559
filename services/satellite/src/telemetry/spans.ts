// The satellite's spans (observability/spans.md): satellite.pass → satellite.state.fetch,
// satellite.image.replicate → satellite.blob.copy; satellite.enrol and satellite.heartbeat. Every
// failed span gets a bounded `error.type` (never a message, which names images and URLs) and
// status ERROR. With no OTLP endpoint the agent's sampler records nothing, so these cost a
// non-recording span each; `satellite sync --once` starts no provider at all.
import { ConnectError } from "@connectrpc/connect";
import {
  context,
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from "@opentelemetry/api";
import { connectCodeName } from "@harbor-satellite/telemetry";
import { failureType } from "./replication-metrics.js";

export const satelliteTracer = () => trace.getTracer("satellite");

/** Why a call to Ground Control failed: its Connect code (`unavailable`, `unauthenticated`…), else as for replication. */
export function callErrorType(error: unknown): string {
  if (error instanceof ConnectError) return connectCodeName(error.code);
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === "string" && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
  return failureType(error);
}

const marked = new WeakSet<Span>();

/** Marks a span failed: `error.type`, the exception, status ERROR. */
export function markFailed(span: Span, errorType: string, error?: unknown): void {
  if (!span.isRecording()) return;
  marked.add(span);
  span.setAttribute("error.type", errorType);
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, ...(error instanceof Error ? { message: error.message } : {}) });
}

export interface SpanOptions {
  /** The parent (default: the active context). */
  parent?: Context;
  /** error.type of a thrown error (default: failureType, the replication metric's reasons). */
  errorType?: (error: unknown) => string;
}

/**
 * Runs `fn` in a new active span; a throw marks it failed (unless `fn` did already) and is
 * rethrown. `fn` may set more attributes on the span.
 */
export async function inSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  options: SpanOptions = {},
): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = satelliteTracer().startSpan(name, { attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (error) {
    if (!marked.has(span)) markFailed(span, (options.errorType ?? failureType)(error), error);
    throw error;
  } finally {
    span.end();
  }
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
