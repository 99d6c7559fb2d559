import { Code, ConnectError, type StreamRequest, type UnaryRequest } from "@connectrpc/connect";
import { context, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { serverTracingInterceptor } from "./interceptors.js";

const SERVICE = { typeName: "harbor.satellite.heartbeat.v1.HeartbeatService" };
const SYNC = { name: "Sync" };
const SYNC_NAME = "harbor.satellite.heartbeat.v1.HeartbeatService/Sync";
const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

function request(contentType: string, headers: Record<string, string> = {}, stream = false): UnaryRequest {
  return {
    stream,
    service: SERVICE,
    method: SYNC,
    header: new Headers({ "content-type": contentType, ...headers }),
    requestMethod: "POST",
    url: "http://gc/x",
    contextValues: undefined,
    message: {},
  } as unknown as UnaryRequest;
}

describe("serverTracingInterceptor", () => {
  const exporter = new InMemorySpanExporter();
  const logger = pino({ level: "silent" });
  beforeAll(() => {
    trace.disable();
    propagation.disable();
    context.disable();
    // register(): the W3C propagator and the async context manager, as the services run.
    new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
  });
  afterAll(() => {
    trace.disable();
    propagation.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());

  it("opens a SERVER span named by the fully-qualified method, continuing the caller's traceparent", async () => {
    const call = serverTracingInterceptor(logger)(async () => ({ stream: false, message: {} }) as never);
    await call(request("application/proto", { traceparent: TRACEPARENT }));
    const [span] = exporter.getFinishedSpans();
    expect(span.name).toBe(SYNC_NAME);
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.spanContext().traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(span.parentSpanContext?.spanId).toBe("b7ad6b7169203331");
    expect(span.attributes).toEqual({
      "rpc.system.name": "connectrpc",
      "rpc.method": SYNC_NAME,
      "rpc.status_code": "ok",
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("sets error.type and status ERROR only for server faults; a refused caller is not an error", async () => {
    const failing = (error: unknown) => serverTracingInterceptor(logger)(async () => Promise.reject(error));
    await expect(failing(new ConnectError("no", Code.NotFound))(request("application/json"))).rejects.toThrow();
    await expect(
      failing(new ConnectError("down", Code.Unavailable))(request("application/grpc+proto")),
    ).rejects.toThrow();
    await expect(failing(new Error("bug"))(request("application/json"))).rejects.toThrow("bug");
    const [notFound, unavailable, bug] = exporter.getFinishedSpans();
    expect(notFound.attributes).toEqual({
      "rpc.system.name": "connectrpc",
      "rpc.method": SYNC_NAME,
      "rpc.status_code": "not_found",
    });
    expect(notFound.status.code).toBe(SpanStatusCode.UNSET);
    expect(unavailable.attributes).toMatchObject({
      "rpc.system.name": "grpc",
      "rpc.status_code": "UNAVAILABLE",
      "error.type": "UNAVAILABLE",
    });
    expect(unavailable.status.code).toBe(SpanStatusCode.ERROR);
    expect(bug.attributes).toMatchObject({ "rpc.status_code": "unknown", "error.type": "unknown" });
    expect(bug.status.code).toBe(SpanStatusCode.ERROR);
  });

  it("ends a streamed reply's span after its last message, with its code", async () => {
    async function* messages() {
      yield {};
      throw new ConnectError("cut", Code.Internal);
    }
    const call = serverTracingInterceptor(logger)(async () => ({ stream: true, message: messages() }) as never);
    const res = await call(request("application/grpc", {}, true) as unknown as StreamRequest);
    expect(exporter.getFinishedSpans()).toEqual([]);
    await expect(
      (async () => {
        for await (const _ of res.message as AsyncIterable<unknown>) void _;
      })(),
    ).rejects.toThrow("cut");
    const [span] = exporter.getFinishedSpans();
    expect(span.attributes).toMatchObject({ "rpc.status_code": "INTERNAL", "error.type": "INTERNAL" });
  });
});
