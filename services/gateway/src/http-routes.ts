// Plain HTTP routes beside the rpc services: health for load balancers and the original's
// `/ping` and `/health` shapes, so existing probes keep working.
import type { connectNodeAdapter } from "@connectrpc/connect-node";
import { sql } from "drizzle-orm";
import type { Database } from "@harbor-satellite/db";

/** The adapter's fallback handler type (connect-node does not export it by name). */
export type HttpHandler = NonNullable<Parameters<typeof connectNodeAdapter>[0]["fallback"]>;
type Res = Parameters<HttpHandler>[1];

function json(res: Res, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export function httpRoutes(db: Database): HttpHandler {
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
    json(res, 404, { code: "not_found", message: `no route for ${req.method} ${path}` });
  };
}
