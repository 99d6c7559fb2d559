// OpenTelemetry setup. With OTEL_EXPORTER_OTLP_ENDPOINT set, the NodeSDK exports traces over
// OTLP as configured by the standard OTEL_* variables. Without it, a tracer provider still runs
// so every log line and outgoing call carries a real trace id, but it records nothing unless the
// caller's trace is sampled: unexported spans would only cost CPU on the hot path (heartbeats).
// Both are imported only when started: the NodeSDK alone costs ~150 ms and ~20 MB of RSS to load,
// which `--help`, `satellite sync --once` and an untraced edge device should not pay.
import {
  context,
  propagation,
  trace,
  SpanStatusCode,
  type Attributes,
  type Span,
  type Context,
} from "@opentelemetry/api";

export interface Telemetry {
  /** Settles once the provider is registered; spans started before then are not recorded. */
  readonly ready: Promise<void>;
  shutdown(): Promise<void>;
}

let started: Telemetry | undefined;

async function startProvider(serviceName: string): Promise<{ shutdown(): Promise<void> }> {
  const [{ resourceFromAttributes }, { ATTR_SERVICE_NAME }] = await Promise.all([
    import("@opentelemetry/resources"),
    import("@opentelemetry/semantic-conventions"),
  ]);
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName });
  if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT) {
    const { NodeSDK } = await import("@opentelemetry/sdk-node");
    // Metrics have their own provider (metrics/provider.ts), which exports OTLP too: without
    // `metricReaders` the NodeSDK would register a second one from the same variables.
    const sdk = new NodeSDK({ resource, instrumentations: [], metricReaders: [] });
    sdk.start();
    return sdk;
  }
  const [{ AlwaysOffSampler, ParentBasedSampler }, { NodeTracerProvider }] = await Promise.all([
    import("@opentelemetry/sdk-trace-base"),
    import("@opentelemetry/sdk-trace-node"),
  ]);
  const provider = new NodeTracerProvider({
    resource,
    sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }),
  });
  provider.register();
  return provider;
}

/** Starts tracing once per process; later calls return the same handle. Await `ready` before serving. */
export function startTelemetry(serviceName: string): Telemetry {
  if (started) return started;
  // The standard switch: no provider, no context propagation, no trace ids in logs.
  if (process.env.OTEL_SDK_DISABLED === "true") {
    started = { ready: Promise.resolve(), shutdown: async () => {} };
    return started;
  }
  const provider = startProvider(serviceName);
  started = {
    ready: provider.then(() => undefined),
    shutdown: async () => (await provider).shutdown(),
  };
  return started;
}

/** Runs `fn` inside a new active span; records the error and rethrows it. */
export async function withSpan<T>(
  tracerName: string,
  spanName: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return trace.getTracer(tracerName).startActiveSpan(spanName, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Reads W3C trace context from request headers into a Context. */
export function extractTraceContext(headers: Headers): Context {
  return propagation.extract(context.active(), headers, {
    get: (carrier, key) => carrier.get(key) ?? undefined,
    keys: (carrier) => [...carrier.keys()],
  });
}

/** Writes the active W3C trace context into outgoing headers. */
export function injectTraceContext(headers: Headers): void {
  propagation.inject(context.active(), headers, { set: (carrier, key, value) => carrier.set(key, value) });
}
