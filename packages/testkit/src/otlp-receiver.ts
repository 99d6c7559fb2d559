// A minimal OTLP/HTTP trace receiver (JSON encoding) for tests that check one trace spans several
// processes. Point processes at it with OTEL_EXPORTER_OTLP_ENDPOINT=<url> and
// OTEL_EXPORTER_OTLP_PROTOCOL=http/json.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** The exporting process's `service.name`. */
  service: string;
}

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  stop(): Promise<void>;
}

type AnyValue = { stringValue?: string };
type OtlpRequest = {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value?: AnyValue }> };
    scopeSpans?: Array<{ spans?: Array<{ traceId?: string; spanId?: string; parentSpanId?: string; name?: string }> }>;
  }>;
};

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url === "/v1/traces") {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as OtlpRequest;
          for (const rs of body.resourceSpans ?? []) {
            const service = rs.resource?.attributes?.find((a) => a.key === "service.name")?.value?.stringValue ?? "";
            for (const ss of rs.scopeSpans ?? []) {
              for (const s of ss.spans ?? []) spans.push({ traceId: s.traceId ?? "", spanId: s.spanId ?? "", parentSpanId: s.parentSpanId ?? "", name: s.name ?? "", service });
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
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
