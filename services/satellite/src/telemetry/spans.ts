// The satellite's spans (observability/spans.md): satellite.pass → satellite.state.fetch,
// satellite.image.replicate → satellite.blob.copy; satellite.enrol and satellite.heartbeat
// (root-step.ts, the agent's steps). Every failed span gets a bounded `error.type` (never a
// message, which names images and URLs) and status ERROR. With no OTLP endpoint the agent's
// sampler records nothing, so these cost a non-recording span each; `satellite sync --once`
// starts no provider at all, and loads nothing of Connect through this module.
import { context, SpanStatusCode, trace, type Attributes, type Context, type Span } from "@opentelemetry/api";
import { failureType } from "./replication-metrics.js";

export const satelliteTracer = () => trace.getTracer("satellite");

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
