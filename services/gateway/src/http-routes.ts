// Plain HTTP routes beside the rpc services: health for load balancers and the original's
// `/ping` and `/health` shapes, so existing probes keep working; the original's satellite routes;
// and the read-only OCI endpoint (`/v2/…`) that serves each satellite its satellite state.
import { sql } from "drizzle-orm";
import type { Database } from "@harbor-satellite/db";
import { handleCompatRoute, type CompatDeps } from "./compat-routes.js";
import type { HttpHandler, HttpResponse } from "./http-types.js";
import { handleStateRegistryRoute, type StateRegistryDeps } from "./state-registry-routes.js";

export type HttpRouteDeps = CompatDeps & StateRegistryDeps;

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
    if (req.method === "GET" && path === "/ping") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("pong");
      return;
    }
    if (req.method === "GET" && (path === "/health" || path === "/healthz")) {
      void healthy().then((ok) => json(res, ok ? 200 : 503, { status: ok ? "healthy" : "unhealthy" }));
      return;
    }
    if (handleCompatRoute(deps, req, res, path)) return;
    if (handleStateRegistryRoute(deps, req, res, path)) return;
    json(res, 404, { code: "not_found", message: `no route for ${req.method} ${path}` });
  };
}
