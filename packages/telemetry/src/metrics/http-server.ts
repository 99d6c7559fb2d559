// `http.server.request.duration` (seconds) for plain HTTP routes (the satellite's registry, Ground
// Control's routes beside the rpcs), with the semantic conventions' attributes: method, route
// template (`/v2/{name}/manifests/{reference}`, never the path itself), status, scheme, and
// `error.type` for 5xx answers and requests cut before their answer ended.
import { boundHistogram, type BoundHistogram } from "./bound-histogram.js";
import { DURATION_BUCKETS_S, metricsEnabled, type Attributes } from "./instruments.js";

// Bound series (bound-histogram.ts): a registry serving thousands of manifests a second pays a
// bucket search per request, not the SDK's attribute hashing.
const duration = boundHistogram("@harbor-satellite/telemetry", "http.server.request.duration", {
  unit: "s",
  description:
    "Duration of HTTP requests served, from the handler's start until the response ended or the connection closed.",
  boundaries: DURATION_BUCKETS_S,
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

const bound = new Map<string, BoundHistogram>();

function seriesOf(
  method: string,
  route: string | undefined,
  status: number,
  aborted: boolean,
  scheme: string,
): BoundHistogram | undefined {
  const key = `${method} ${route ?? ""} ${status} ${aborted ? 1 : 0} ${scheme}`;
  let series = bound.get(key);
  if (series) return series;
  // Bounded anyway (methods, routes and statuses are few); the cap guards against a bug.
  if (bound.size >= 10_000) return undefined;
  const attributes: Attributes = {
    "http.request.method": method,
    "http.response.status_code": status,
    "url.scheme": scheme,
  };
  if (route !== undefined) attributes["http.route"] = route;
  if (aborted) attributes["error.type"] = "aborted";
  else if (status >= 500) attributes["error.type"] = String(status);
  series = duration.bind(attributes);
  bound.set(key, series);
  return series;
}

/** Starts timing one request; costs nothing (no listener) while no meter provider is registered. */
export function measureHttpRequest(
  method: string | undefined,
  res: MeasuredResponse,
  scheme: "http" | "https" = "http",
): HttpRequestMeasurement {
  if (!metricsEnabled()) return NOT_MEASURED;
  const started = performance.now();
  const normalized = method && KNOWN_METHODS.has(method) ? method : "_OTHER";
  const measurement: HttpRequestMeasurement = { route: undefined };
  res.once("close", () => {
    const aborted = !res.writableEnded;
    seriesOf(normalized, measurement.route, res.statusCode, aborted, scheme)?.record(
      (performance.now() - started) / 1000,
    );
  });
  return measurement;
}
