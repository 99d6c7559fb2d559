// Plain HTTP routes beside the rpc services: health for load balancers and the original's
// `/ping` and `/health` shapes, so existing probes keep working; the original's satellite routes;
// and the read-only OCI endpoint (`/v2/…`) that serves each satellite its satellite state; and
// Prometheus metrics at /metrics unless --metrics-addr serves them elsewhere. Each request is
// measured (http.server.request.duration) with its route template.
import { sql } from "drizzle-orm";
import type { Database } from "@harbor-satellite/db";
import { measureHttpRequest, METRICS_PATH, serveMetrics, type Metrics } from "@harbor-satellite/telemetry/metrics";
import { handleCompatRoute, type CompatDeps } from "./compat-routes.js";
import type { HarborHealth } from "./harbor-health.js";
import { HARBOR_WEBHOOK_PATH, handleHarborWebhook, type HarborWebhookDeps } from "./harbor-webhook.js";
import type { HttpHandler, HttpResponse } from "./http-types.js";
import { handleStateRegistryRoute, type StateRegistryDeps } from "./state-registry-routes.js";

export type HttpRouteDeps = CompatDeps &
  StateRegistryDeps &
  HarborWebhookDeps & {
    metrics?: Metrics;
    /** Harbor as last checked, when this process serves or forwards the registry service. */
    harbor?: () => HarborHealth;
  };

const STATE_ROUTE = /^\/v2\/satellite\/satellite-state\/[^/]+\/state\/(manifests|blobs|tags)\/[^/]+$/;

/** The route template of a path (for metrics): never the path itself, which names satellites and tokens. */
export function routeOf(path: string): string | undefined {
  if (
    path === "/ping" ||
    path === "/health" ||
    path === "/healthz" ||
    path === METRICS_PATH ||
    path === "/satellites/spiffe-ztr" ||
    path === "/satellites/sync" ||
    path === HARBOR_WEBHOOK_PATH
  )
    return path;
  if (/^\/satellites\/ztr\/[^/]+$/.test(path)) return "/satellites/ztr/{token}";
  if (path === "/v2" || path === "/v2/") return "/v2/";
  const state = STATE_ROUTE.exec(path);
  if (state)
    return `/v2/satellite/satellite-state/{satellite}/state/${state[1] === "tags" ? "tags/list" : `${state[1]}/{reference}`}`;
  return undefined;
}

function json(res: HttpResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export function httpRoutes(db: Database, deps: HttpRouteDeps): HttpHandler {
  const healthy = async () => {
    try {
      await db.execute(sql`select 1`);
      return true;
    } catch {
      return false;
    }
  };
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    measureHttpRequest(req.method, res, "encrypted" in req.socket ? "https" : "http").route = routeOf(path);
    if (deps.metrics && path === METRICS_PATH) return serveMetrics(deps.metrics, req, res);
    if (req.method === "GET" && path === "/ping") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("pong");
      return;
    }
    if (req.method === "GET" && (path === "/health" || path === "/healthz")) {
      // Only the database decides the status code: without Harbor, every rpc but enrolment and
      // publishing still works, so a load balancer should keep sending traffic.
      void healthy().then((ok) =>
        json(res, ok ? 200 : 503, {
          status: ok ? "healthy" : "unhealthy",
          database: ok ? "ok" : "unreachable",
          ...(deps.harbor ? { harbor: deps.harbor() } : {}),
        }),
      );
      return;
    }
    if (handleCompatRoute(deps, req, res, path)) return;
    if (handleStateRegistryRoute(deps, req, res, path)) return;
    if (handleHarborWebhook(deps, req, res, path)) return;
    json(res, 404, { code: "not_found", message: `no route for ${req.method} ${path}` });
  };
}
