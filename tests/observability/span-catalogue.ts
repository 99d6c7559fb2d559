// An OTLP/HTTP (JSON) trace receiver that keeps what TraceQL queries can name: each span's name,
// its attribute keys and its resource's attribute keys. Processes export to it with
// OTEL_EXPORTER_OTLP_ENDPOINT=<url> and OTEL_EXPORTER_OTLP_PROTOCOL=http/json; metrics pushed to
// /v1/metrics are accepted and dropped.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface SpanCatalogue {
  url: string;
  /** Span name → the span attribute keys seen on spans of that name. */
  spans: Map<string, Set<string>>;
  /** Resource attribute keys seen. */
  resource: Set<string>;
  /** Every span attribute key seen, on any span. */
  attributes(): Set<string>;
  stop(): Promise<void>;
}

type Attr = { key: string };
type Body = { resourceSpans?: Array<{ resource?: { attributes?: Attr[] }; scopeSpans?: Array<{ spans?: Array<{ name?: string; attributes?: Attr[] }> }> }> };

export async function startSpanCatalogue(): Promise<SpanCatalogue> {
  const spans = new Map<string, Set<string>>();
  const resource = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url === "/v1/traces") {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Body;
          for (const rs of body.resourceSpans ?? []) {
            for (const a of rs.resource?.attributes ?? []) resource.add(a.key);
            for (const s of (rs.scopeSpans ?? []).flatMap((ss) => ss.spans ?? [])) {
              const keys = spans.get(s.name ?? "") ?? new Set<string>();
              for (const a of s.attributes ?? []) keys.add(a.key);
              spans.set(s.name ?? "", keys);
            }
          }
        } catch {
          res.writeHead(400).end();
          return;
        }
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    resource,
    attributes: () => new Set([...spans.values()].flatMap((keys) => [...keys])),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
