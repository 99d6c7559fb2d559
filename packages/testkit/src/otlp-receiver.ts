// A minimal OTLP/HTTP trace receiver (JSON encoding) for tests that check one trace spans several
// processes and what its spans say. Point processes at it with OTEL_EXPORTER_OTLP_ENDPOINT=<url>
// and OTEL_EXPORTER_OTLP_PROTOCOL=http/json. Metrics and logs posted to it are accepted and dropped.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** An attribute value as OTLP carries it, decoded: 64-bit integers arrive as strings in JSON and become numbers. */
export type SpanAttributeValue = string | number | boolean | SpanAttributeValue[] | null;

/** OTLP's SpanKind numbers, by name. */
export const SPAN_KIND = { UNSPECIFIED: 0, INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;
/** OTLP's status codes, by name. */
export const STATUS_CODE = { UNSET: 0, OK: 1, ERROR: 2 } as const;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** The exporting process's `service.name`. */
  service: string;
  /** OTLP kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer (SPAN_KIND). */
  kind: number;
  attributes: Record<string, SpanAttributeValue>;
  /** 0 unset, 1 ok, 2 error (STATUS_CODE). */
  status: { code: number; message?: string };
  /** Unix epoch nanoseconds. */
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
}

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  stop(): Promise<void>;
}

type AnyValue = {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
};
type KeyValue = { key: string; value?: AnyValue };
type OtlpSpan = {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: number;
  attributes?: KeyValue[];
  status?: { code?: number; message?: string };
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
};
type OtlpRequest = {
  resourceSpans?: Array<{ resource?: { attributes?: KeyValue[] }; scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>;
};

function decodeValue(value: AnyValue | undefined): SpanAttributeValue {
  if (!value) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(decodeValue);
  return null;
}

function decodeAttributes(attributes: KeyValue[] | undefined): Record<string, SpanAttributeValue> {
  const out: Record<string, SpanAttributeValue> = {};
  for (const a of attributes ?? []) out[a.key] = decodeValue(a.value);
  return out;
}

function decodeSpan(s: OtlpSpan, service: string): ReceivedSpan {
  return {
    traceId: s.traceId ?? "",
    spanId: s.spanId ?? "",
    parentSpanId: s.parentSpanId ?? "",
    name: s.name ?? "",
    service,
    kind: s.kind ?? 0,
    attributes: decodeAttributes(s.attributes),
    status: { code: s.status?.code ?? 0, ...(s.status?.message ? { message: s.status.message } : {}) },
    startTimeUnixNano: BigInt(s.startTimeUnixNano ?? 0),
    endTimeUnixNano: BigInt(s.endTimeUnixNano ?? 0),
  };
}

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
            const service = decodeAttributes(rs.resource?.attributes)["service.name"];
            for (const ss of rs.scopeSpans ?? []) {
              for (const s of ss.spans ?? []) spans.push(decodeSpan(s, typeof service === "string" ? service : ""));
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

/** What a set of spans shows of its names and attributes: for checking queries and dashboards against real traces. */
export interface SpanCatalogue {
  /** Every span name seen. */
  names: Set<string>;
  /** Per span name, every attribute key seen on spans of that name. */
  attributesByName: Map<string, Set<string>>;
  /** Every attribute key seen on any span. */
  attributes: Set<string>;
  /** Every resource `service.name` seen. */
  services: Set<string>;
}

/** The span names and attribute keys seen in `spans` (e.g. an OtlpReceiver's after a run). */
export function spanCatalogue(spans: readonly ReceivedSpan[]): SpanCatalogue {
  const catalogue: SpanCatalogue = {
    names: new Set(),
    attributesByName: new Map(),
    attributes: new Set(),
    services: new Set(),
  };
  for (const span of spans) {
    catalogue.names.add(span.name);
    catalogue.services.add(span.service);
    let keys = catalogue.attributesByName.get(span.name);
    if (!keys) catalogue.attributesByName.set(span.name, (keys = new Set()));
    for (const key of Object.keys(span.attributes)) {
      keys.add(key);
      catalogue.attributes.add(key);
    }
  }
  return catalogue;
}
