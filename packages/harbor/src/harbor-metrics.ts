// `http.client.request.duration` for every Harbor call the client makes, per operation: latency
// from its histogram, errors from `error.type` (the status code for answers the caller did not
// accept, the network error's code, e.g. ECONNREFUSED, when no answer came).
import {
  DURATION_BUCKETS_S,
  instrumentScope,
  metricsEnabled,
  type Attributes,
} from "@harbor-satellite/telemetry/metrics";

const duration = instrumentScope("@harbor-satellite/harbor").histogram("http.client.request.duration", {
  unit: "s",
  description:
    "Duration of Harbor API calls, per harbor.operation (Harbor's operationId), with the HTTP status, and error.type when the call failed.",
  advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
});

/** What the client's call wrapper knows once a call ended. */
export interface HarborCallOutcome {
  operation: string;
  method: string;
  /** The path template under /api/v2.0. */
  template: string;
  server: { address: string; port: number };
  /** Undefined when no response came. */
  status?: number;
  /** Set when the call failed: the status, or the network error's code. */
  errorType?: string;
}

const sets = new Map<string, Attributes>();

function attributesOf(o: HarborCallOutcome): Attributes {
  const key = `${o.operation} ${o.method} ${o.status ?? ""} ${o.errorType ?? ""} ${o.server.address}:${o.server.port}`;
  let attributes = sets.get(key);
  if (attributes) return attributes;
  attributes = {
    "harbor.operation": o.operation,
    "http.request.method": o.method,
    "url.template": `/api/v2.0${o.template}`,
    "server.address": o.server.address,
    "server.port": o.server.port,
  };
  if (o.status !== undefined) attributes["http.response.status_code"] = o.status;
  if (o.errorType !== undefined) attributes["error.type"] = o.errorType;
  if (sets.size < 5000) sets.set(key, attributes);
  return attributes;
}

export function recordHarborCall(outcome: HarborCallOutcome, seconds: number): void {
  if (metricsEnabled()) duration.record(seconds, attributesOf(outcome));
}

/** The low-cardinality name of a network failure: its errno-style code, or _OTHER. */
export function networkErrorType(cause: unknown): string {
  for (let e = cause, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
  }
  return "_OTHER";
}
