// `GET /metrics` for any listener (Node's HTTP/1.1 or HTTP/2 compatibility objects): the
// Prometheus text format, gzipped when the scraper accepts it (Prometheus always does).
import type { IncomingHttpHeaders } from "node:http";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import type { Metrics } from "./provider.js";

const gzipAsync = promisify(gzip);

/** What this handler needs of a request and a response; Node's HTTP/1.1 and HTTP/2 objects fit. */
export interface MetricsRequest {
  method?: string;
  headers: IncomingHttpHeaders;
}
export interface MetricsResponse {
  readonly headersSent: boolean;
  writeHead(status: number, headers: Record<string, string | number>): unknown;
  end(body: string | Uint8Array): unknown;
}

/** The content type of the Prometheus text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The path every listener serves metrics at. */
export const METRICS_PATH = "/metrics";

/** Answers a request for METRICS_PATH: the text on GET and HEAD, 405 otherwise. Never throws. */
export function serveMetrics(metrics: Metrics, req: MetricsRequest, res: MetricsResponse): void {
  const method = req.method ?? "GET";
  if (method !== "GET" && method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" });
    res.end("method not allowed\n");
    return;
  }
  void respond(metrics, req, res, method === "HEAD");
}

async function respond(metrics: Metrics, req: MetricsRequest, res: MetricsResponse, head: boolean): Promise<void> {
  try {
    const text = await metrics.scrape();
    const gzipped = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? "")) && text.length > 1024;
    const body = gzipped ? await gzipAsync(text) : Buffer.from(text);
    const headers: Record<string, string | number> = {
      "content-type": PROMETHEUS_CONTENT_TYPE,
      "content-length": body.length,
      "cache-control": "no-store",
    };
    if (gzipped) headers["content-encoding"] = "gzip";
    res.writeHead(200, headers);
    res.end(head ? "" : body);
  } catch (error) {
    if (res.headersSent) return;
    const message = `metrics unavailable: ${error instanceof Error ? error.message : String(error)}\n`;
    res.writeHead(503, { "content-type": "text/plain", "content-length": Buffer.byteLength(message) });
    res.end(head ? "" : message);
  }
}
