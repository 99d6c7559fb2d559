// The differential test of the gateway's two serving paths: every unary rpc of every service,
// on every protocol the lean path takes (Connect binary and JSON over HTTP/1.1 and HTTP/2, gRPC
// over HTTP/2), is sent byte for byte the same to a gateway with the lean path and to one where
// Connect's handlers serve everything; the replies must be the same: status, headers, body,
// trailers, error details and metadata. Cases beyond success: errors with details and metadata,
// plain exceptions, deadlines (grpc-timeout, connect-timeout-ms) met and malformed, cancellation
// seen by the implementation, size limits, unknown and undecodable input, gRPC envelopes out of
// the ordinary, compression, and a service registered with its own options.
import { once } from "node:events";
import { connect as http2Connect, constants } from "node:http2";
import { request as http1Request } from "node:http";
import { gzipSync } from "node:zlib";
import { create, toBinary, toJsonString, type DescMethodUnary, type DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { SyncRequestSchema } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { HEARTBEAT_BINARY_DECODERS } from "@harbor-satellite/heartbeat";
import { errorMappingInterceptor } from "@harbor-satellite/rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVICE_DESCRIPTORS } from "../modules.js";
import { h1, h2, type RawRequest, type RawResponse } from "../raw-http-support.js";
import { READ_MAX_BYTES } from "../rpc-handlers.js";
import { listenRpc, type TestRpcServer } from "../test-support.js";

const services = Object.values(SERVICE_DESCRIPTORS) as DescService[];
const unaryMethods = services.flatMap((s) => s.methods.filter((m): m is DescMethodUnary => m.methodKind === "unary"));

/** What each implementation saw of its call's signal, by the request's x-call-id. */
const aborts = new Map<string, string>();
const started = new Map<string, () => void>();

async function behave(method: DescMethodUnary, request: unknown, ctx: HandlerContext): Promise<unknown> {
  const call = ctx.requestHeader.get("x-call-id") ?? "";
  started.get(call)?.();
  ctx.responseHeader.set("x-seen-input", encodeURIComponent(toJsonString(method.input, request as never)));
  ctx.responseHeader.set("x-seen-timeout", String(ctx.timeoutMs() !== undefined));
  ctx.responseTrailer.set("x-impl-trailer", "t<>&");
  switch (ctx.requestHeader.get("x-case")) {
    case "error":
      throw new ConnectError('refused: <odd> & "quoted" é', Code.FailedPrecondition, { "x-error-meta": "m" }, [
        { desc: method.input, value: create(method.input) },
      ]);
    case "plain-throw":
      throw new Error("an implementation bug");
    case "slow":
      ctx.signal.addEventListener("abort", () => aborts.set(call, String(ConnectError.from(ctx.signal.reason).code)));
      await Promise.race([once(ctx.signal, "abort"), new Promise((r) => setTimeout(r, 3000))]);
      ctx.signal.throwIfAborted();
      return create(method.output);
    default:
      return create(method.output);
  }
}

/** Every service with an implementation of every method that does what the request's x-case says. */
function routes(router: ConnectRouter): void {
  for (const service of services) {
    const impl: Record<string, unknown> = {};
    for (const method of service.methods)
      if (method.methodKind === "unary") {
        const unary = method as DescMethodUnary;
        impl[method.localName] = (req: unknown, ctx: HandlerContext) => behave(unary, req, ctx);
      }
    // The registry service is registered with its own options: both gateways serve it through
    // Connect's handlers with those options (here, one more interceptor).
    if (service.typeName.endsWith("RegistryService"))
      router.service(service, impl as never, { interceptors: [tag("svc"), errorMappingInterceptor()] });
    else router.service(service, impl as never);
  }
}

/** An interceptor that lists itself in a response header, so order and presence are compared. */
function tag(name: string): Interceptor {
  return (next) => async (req) => {
    const res = await next(req);
    res.header.append("x-interceptors", name);
    return res;
  };
}

type Protocol = "connect-proto-h1" | "connect-json-h1" | "connect-proto-h2" | "connect-json-h2" | "grpc-h2";
const PROTOCOLS: Protocol[] = ["connect-proto-h1", "connect-json-h1", "connect-proto-h2", "connect-json-h2", "grpc-h2"];

const envelope = (message: Uint8Array, flags = 0) => {
  const out = Buffer.alloc(5 + message.length);
  out[0] = flags;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
};

/** The request bytes and headers a client of `protocol` sends for `method`'s empty input (or `body`). */
function requestFor(
  protocol: Protocol,
  method: DescMethodUnary,
  extra: { headers?: Record<string, string>; body?: Uint8Array | string } = {},
): RawRequest {
  const path = `/${method.parent.typeName}/${method.name}`;
  const message = toBinary(method.input, create(method.input));
  if (protocol === "grpc-h2")
    return {
      method: "POST",
      path,
      headers: { "content-type": "application/grpc", te: "trailers", ...extra.headers },
      body: extra.body ?? envelope(message),
    };
  const json = protocol.startsWith("connect-json");
  return {
    method: "POST",
    path,
    headers: {
      "content-type": json ? "application/json" : "application/proto",
      "connect-protocol-version": "1",
      ...extra.headers,
    },
    body: extra.body ?? (json ? "{}" : message),
  };
}

// Framing that differs by design (Node's HTTP/1 response writes a content-length or chunks it).
const TRANSPORT_HEADERS = new Set(["date", "connection", "keep-alive", "transfer-encoding", "content-length"]);

function comparable(reply: RawResponse) {
  const pick = (h: RawResponse["headers"]) =>
    Object.fromEntries(
      Object.entries(h)
        .filter(([k]) => !k.startsWith(":") && !TRANSPORT_HEADERS.has(k))
        .sort(([a], [b]) => a.localeCompare(b)),
    );
  return {
    status: reply.status,
    headers: pick(reply.headers),
    trailers: pick(reply.trailers),
    body: reply.body.toString("base64"),
  };
}

let lean: TestRpcServer;
let connect: TestRpcServer;
const interceptors = [tag("outer"), errorMappingInterceptor(), tag("inner")];

beforeAll(async () => {
  lean = await listenRpc({ routes, interceptors, binaryDecoders: HEARTBEAT_BINARY_DECODERS });
  connect = await listenRpc({ routes, interceptors, leanUnary: false });
});
afterAll(async () => {
  await lean?.listener.close();
  await connect?.listener.close();
});

async function both(protocol: Protocol, request: RawRequest) {
  const send = protocol.endsWith("h2") ? h2 : h1;
  const [a, b] = await Promise.all([send(lean.url, request), send(connect.url, request)]);
  return { lean: comparable(a), connect: comparable(b) };
}

const heartbeat = unaryMethods.find((m) => m.parent.typeName.endsWith("HeartbeatService"))!;
const fullHeartbeat = create(SyncRequestSchema, {
  satellite: "edge-1",
  name: "edge-1",
  activity: "mirrors: containerd ✓",
  stateReportInterval: "@every 00h00m30s",
  latestStateDigest: `sha256:${"a".repeat(64)}`,
  latestConfigDigest: `sha256:${"b".repeat(64)}`,
  memoryUsedBytes: 1n << 33n,
  storageUsedBytes: -1n,
  cpuPercent: 12.5,
  requestCreateTime: { seconds: 1_800_000_000n, nanos: 5 },
  lastSyncDurationMs: 1200n,
  imageCount: 2,
  cachedImages: [{ reference: "library/app:1", sizeBytes: 50_000_000n }, { reference: "library/db:2" }],
  errors: [{ reference: "library/x:1", message: "manifest unknown" }],
  acceptsRobotCredentials: true,
  robotCredentialsAck: "r-1",
});
const FULL_HEARTBEAT = toBinary(SyncRequestSchema, fullHeartbeat);
const FULL_HEARTBEAT_JSON = toJsonString(SyncRequestSchema, fullHeartbeat);
const registry = unaryMethods.find((m) => m.parent.typeName.endsWith("RegistryService"))!;

describe("the lean unary path and Connect's handlers give the same replies", () => {
  it("covers every unary rpc of the four services", () => {
    expect(services.map((s) => s.typeName).sort()).toHaveLength(4);
    expect(unaryMethods.length).toBeGreaterThan(20);
  });

  it.each(PROTOCOLS)("every rpc, success and error with details and metadata: %s", async (protocol) => {
    for (const method of unaryMethods)
      for (const kase of ["ok", "error"]) {
        const replies = await both(protocol, requestFor(protocol, method, { headers: { "x-case": kase } }));
        expect(replies.lean, `${method.parent.name}/${method.name} ${kase}`).toEqual(replies.connect);
      }
  });

  const odd: Record<string, (p: Protocol) => RawRequest | undefined> = {
    "a plain exception": (p) => requestFor(p, heartbeat, { headers: { "x-case": "plain-throw" } }),
    "a deadline that passes": (p) =>
      requestFor(p, heartbeat, {
        headers: {
          "x-case": "slow",
          ...(p === "grpc-h2" ? { "grpc-timeout": "100m" } : { "connect-timeout-ms": "100" }),
        },
      }),
    "a deadline that is met": (p) =>
      requestFor(p, heartbeat, {
        headers: p === "grpc-h2" ? { "grpc-timeout": "10S" } : { "connect-timeout-ms": "10000" },
      }),
    "a malformed deadline": (p) =>
      requestFor(p, heartbeat, {
        headers: p === "grpc-h2" ? { "grpc-timeout": "5x" } : { "connect-timeout-ms": "soon" },
      }),
    "a body over the size limit": (p) =>
      requestFor(p, heartbeat, {
        body: p === "grpc-h2" ? envelope(Buffer.alloc(READ_MAX_BYTES + 1, 1)) : Buffer.alloc(READ_MAX_BYTES + 1, 0x20),
      }),
    "undecodable input": (p) =>
      requestFor(p, heartbeat, {
        body: p.startsWith("connect-json")
          ? "{"
          : p === "grpc-h2"
            ? envelope(Buffer.from([0xff, 0xff]))
            : Buffer.from([0xff, 0xff]),
      }),
    "an unknown JSON field": (p) =>
      p.startsWith("connect-json") ? requestFor(p, heartbeat, { body: '{"noSuchField":1}' }) : undefined,
    "a heartbeat with every field set (the lean path decodes it with the heartbeat's own decoder)": (p) =>
      requestFor(p, heartbeat, {
        body: p === "grpc-h2" ? envelope(FULL_HEARTBEAT) : p.includes("json") ? FULL_HEARTBEAT_JSON : FULL_HEARTBEAT,
      }),
    "an unknown binary field (kept, not refused)": (p) =>
      p.includes("json")
        ? undefined
        : requestFor(p, heartbeat, {
            body: p === "grpc-h2" ? envelope(Buffer.from([0xf8, 0x3e, 0x01])) : Buffer.from([0xf8, 0x3e, 0x01]),
          }),
    "a gzip-compressed request": (p) =>
      p === "grpc-h2"
        ? requestFor(p, heartbeat, {
            headers: { "grpc-encoding": "gzip" },
            body: envelope(gzipSync(Buffer.alloc(0)), 1),
          })
        : requestFor(p, heartbeat, {
            headers: { "content-encoding": "gzip" },
            body: gzipSync(p.includes("json") ? "{}" : Buffer.alloc(0)),
          }),
    "gRPC: no message": (p) => (p === "grpc-h2" ? requestFor(p, heartbeat, { body: Buffer.alloc(0) }) : undefined),
    "gRPC: two messages": (p) =>
      p === "grpc-h2"
        ? requestFor(p, heartbeat, { body: Buffer.concat([envelope(Buffer.alloc(0)), envelope(Buffer.alloc(0))]) })
        : undefined,
    "gRPC: flagged compressed without grpc-encoding": (p) =>
      p === "grpc-h2" ? requestFor(p, heartbeat, { body: envelope(Buffer.alloc(0), 1) }) : undefined,
    "gRPC: a cut-short envelope": (p) =>
      p === "grpc-h2" ? requestFor(p, heartbeat, { body: Buffer.from([0, 0, 0, 0, 9, 1]) }) : undefined,
    "a service registered with its own options": (p) => requestFor(p, registry, { headers: { "x-case": "error" } }),
  };

  for (const [name, make] of Object.entries(odd))
    it(`${name}`, async () => {
      let compared = 0;
      for (const protocol of PROTOCOLS) {
        const request = make(protocol);
        if (!request) continue;
        const replies = await both(protocol, request);
        expect(replies.lean, protocol).toEqual(replies.connect);
        compared++;
      }
      expect(compared).toBeGreaterThan(0);
    });

  it("a service registered with its own options runs them, on both gateways", async () => {
    const replies = await both("connect-json-h1", requestFor("connect-json-h1", registry));
    expect(replies.lean.headers["x-interceptors"]).toBe("svc");
    const heartbeatReply = await both("connect-json-h1", requestFor("connect-json-h1", heartbeat));
    expect(heartbeatReply.lean.headers["x-interceptors"]).toBe("inner, outer");
  });
});

/** Starts a slow call, waits until the implementation runs, then goes away as a client would. */
async function cancelled(server: TestRpcServer, protocol: Protocol, call: string): Promise<string | undefined> {
  const running = new Promise<void>((resolve) => started.set(call, resolve));
  const request = requestFor(protocol, heartbeat, { headers: { "x-case": "slow", "x-call-id": call } });
  if (protocol.endsWith("h2")) {
    const session = http2Connect(server.url);
    session.on("error", () => undefined);
    const stream = session.request({ ":method": "POST", ":path": request.path, ...request.headers });
    stream.on("error", () => undefined);
    stream.end(request.body);
    await running;
    stream.close(constants.NGHTTP2_CANCEL);
    await waitFor(() => aborts.has(call));
    session.close();
  } else {
    const req = http1Request(new URL(request.path, server.url), {
      method: "POST",
      headers: request.headers,
      agent: false,
    });
    req.on("error", () => undefined);
    req.end(request.body);
    await running;
    req.destroy();
    await waitFor(() => aborts.has(call));
  }
  return aborts.get(call);
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe("cancellation as the implementation sees it", () => {
  it.each(PROTOCOLS)(
    "%s: the client going away aborts the call's signal, with the same code on both",
    async (protocol) => {
      const onLean = await cancelled(lean, protocol, `lean-${protocol}`);
      const onConnect = await cancelled(connect, protocol, `connect-${protocol}`);
      expect(onLean).toBeDefined();
      expect(onLean).toBe(onConnect);
    },
  );
});
