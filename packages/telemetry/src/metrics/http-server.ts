// `http.server.request.duration` (seconds) for plain HTTP routes (the satellite's registry, Ground
// Control's routes beside the rpcs), with the semantic conventions' attributes: method, route
// template (`/v2/{name}/manifests/{reference}`, never the path itself), status, scheme, and
// `error.type` for 5xx answers and requests cut before their answer ended.
import { DURATION_BUCKETS_S, instrumentScope, metricsEnabled, type Attributes } from "./instruments.js";

const duration = instrumentScope("@harbor-satellite/telemetry").histogram("http.server.request.duration", {
  unit: "s",
  description: "Duration of HTTP requests served, from the handler's start until the response ended or the connection closed.",
  advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
});

const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"]);

/** The response as far as timing it goes: its status, whether it ended, and when it closed. */
export interface MeasuredResponse {
  statusCode: number;
  readonly writableEnded: boolean;
  once(event: "close", listener: () => void): unknown;
}

/** Set `route` once the request is routed; the measurement is taken when the response closes. */
export interface HttpRequestMeasurement {
  route: string | undefined;
}

const NOT_MEASURED: HttpRequestMeasurement = {
  get route() {
    return undefined;
  },
  set route(_route: string | undefined) {},
};

const attributeSets = new Map<string, Attributes>();

function attributesOf(method: string, route: string | undefined, status: number, aborted: boolean, scheme: string): Attributes {
  const key = `${method} ${route ?? ""} ${status} ${aborted ? 1 : 0} ${scheme}`;
  let attributes = attributeSets.get(key);
  if (attributes) return attributes;
  attributes = { "http.request.method": method, "http.response.status_code": status, "url.scheme": scheme };
  if (route !== undefined) attributes["http.route"] = route;
  if (aborted) attributes["error.type"] = "aborted";
  else if (status >= 500) attributes["error.type"] = String(status);
  // Bounded anyway (methods, routes and statuses are few); the cap guards against a bug.
  if (attributeSets.size < 10_000) attributeSets.set(key, attributes);
  return attributes;
}

/** Starts timing one request; costs nothing (no listener) while no meter provider is registered. */
export function measureHttpRequest(method: string | undefined, res: MeasuredResponse, scheme: "http" | "https" = "http"): HttpRequestMeasurement {
  if (!metricsEnabled()) return NOT_MEASURED;
  const started = performance.now();
  const normalized = method && KNOWN_METHODS.has(method) ? method : "_OTHER";
  const measurement: HttpRequestMeasurement = { route: undefined };
  res.once("close", () => {
    const aborted = !res.writableEnded;
    duration.record((performance.now() - started) / 1000, attributesOf(normalized, measurement.route, res.statusCode, aborted, scheme));
  });
  return measurement;
}
