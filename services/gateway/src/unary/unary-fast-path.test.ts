// The lean unary path on its own, behind servers that answer 404 to anything it declines: what
// it serves, it serves with Connect's and gRPC's wire formats (checked with Connect's own
// clients), and what it must not serve it leaves alone.
import { createServer as createHttp1Server, type Server as Http1Server } from "node:http";
import { connect, createServer as createH2Server, type Http2Server, type ServerHttp2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  Code,
  ConnectError,
  createClient,
  createConnectRouter,
  createContextKey,
  createContextValues,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
import { compressionGzip, createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HeartbeatService, SyncRequestSchema } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { rawBody, rawExchange, rawStatus } from "../raw-http-support.js";
import { createUnaryFastPath } from "./unary-fast-path.js";
import { recordingRouter } from "./unary-methods.js";

const callerName = createContextKey("nobody");
const SYNC = "/harbor.satellite.heartbeat.v1.HeartbeatService/Sync";

interface Seen {
  name: string;
  protocol: string;
  caller: string;
  auth: string | null;
  signalUsable: boolean;
}

describe("lean unary path", () => {
  const seen: Seen[] = [];
  const urls: string[] = [];
  const writeErrors: unknown[] = [];
  /** What the heartbeat's implementation saw in `activity`, per call. */
  const activities: string[] = [];
  /** A stand-in for a module's faster decoder: marks what it decoded, and leaves "library" calls to protobuf-es. */
  const decoded: string[] = [];
  const decoder = (bytes: Uint8Array) => {
    let message;
    try {
      message = fromBinary(SyncRequestSchema, bytes);
    } catch {
      return undefined; // as a decoder must: bytes it cannot read are the library's to refuse
    }
    decoded.push(message.satellite);
    return message.satellite === "library" ? undefined : { ...message, activity: "from the module's decoder" };
  };
  let h2: Http2Server;
  let h1: Http1Server;
  const sessions = new Set<ServerHttp2Session>();
  let h2Url: string;
  let h1Url: string;

  // Stands in for the authorization interceptor: reads a header, sets a context value, may refuse.
  const auth: Interceptor = (next) => async (req) => {
    if (req.header.get("authorization") === "deny")
      throw new ConnectError("denied by interceptor", Code.PermissionDenied);
    req.contextValues.set(callerName, req.header.get("authorization") ?? "anonymous");
    const res = await next(req);
    res.header.set("x-intercepted", "yes");
    return res;
  };

  beforeAll(async () => {
    const { router, methods } = recordingRouter(createConnectRouter());
    router.service(HeartbeatService, {
      async sync(req, ctx) {
        seen.push({
          name: req.satellite,
          protocol: ctx.protocolName,
          caller: ctx.values.get(callerName),
          auth: ctx.requestHeader.get("authorization"),
          signalUsable: ctx.signal.aborted === false,
        });
        urls.push(ctx.url);
        activities.push(req.activity);
        if (req.satellite === "missing")
          throw new ConnectError("satellite missing not found", Code.NotFound, { "x-detail": "meta" });
        if (req.satellite === "crash") throw new Error("secret internal detail");
        // Unwritable on both: a control character (HTTP/1.1 refuses it), a connection header (HTTP/2 does).
        if (req.satellite === "unwritable") {
          ctx.responseHeader.set("x-bad", "a\u0001b");
          ctx.responseHeader.set("connection", "keep-alive");
        }
        ctx.responseTrailer.set("x-trailer", "t");
        return { receiveTime: timestampFromMs(1_700_000_000_000) };
      },
    });
    const fast = createUnaryFastPath({
      methods,
      interceptors: [auth],
      binaryDecoders: new Map([[SyncRequestSchema.typeName, decoder]]),
      readMaxBytes: 64 * 1024,
      onWriteError: (error) => writeErrors.push(error),
    });
    h2 = createH2Server();
    h2.on("session", (session: ServerHttp2Session) => sessions.add(session));
    h2.on("stream", (stream, headers) => {
      if (fast.serveStream(stream, headers, () => createContextValues())) return;
      stream.respond({ ":status": 404 });
      stream.end();
    });
    h1 = createHttp1Server((req, res) => {
      if (fast.serveHttp1(req, res, () => createContextValues())) return;
      res.writeHead(404).end();
    });
    await Promise.all([
      new Promise<void>((r) => h2.listen(0, "127.0.0.1", r)),
      new Promise<void>((r) => h1.listen(0, "127.0.0.1", r)),
    ]);
    h2Url = `http://127.0.0.1:${(h2.address() as AddressInfo).port}`;
    h1Url = `http://127.0.0.1:${(h1.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const session of sessions) session.destroy();
    h1.closeAllConnections();
    await new Promise((r) => h2.close(r));
    await new Promise((r) => h1.close(r));
  });

  const transports = (): Record<string, Transport> => ({
    "connect binary h2": createConnectTransport({ baseUrl: h2Url, httpVersion: "2", useBinaryFormat: true }),
    // connect-node's transports default to binary: JSON must be asked for.
    "connect json h2": createConnectTransport({ baseUrl: h2Url, httpVersion: "2", useBinaryFormat: false }),
    "connect binary h1": createConnectTransport({ baseUrl: h1Url, httpVersion: "1.1", useBinaryFormat: true }),
    "connect json h1": createConnectTransport({ baseUrl: h1Url, httpVersion: "1.1", useBinaryFormat: false }),
    grpc: createGrpcTransport({ baseUrl: h2Url }),
  });

  it("serves Connect (binary, JSON; HTTP/1.1 and HTTP/2) and gRPC through the interceptors", async () => {
    for (const [label, transport] of Object.entries(transports())) {
      seen.length = 0;
      const trailers: Headers[] = [];
      const headers: Headers[] = [];
      const res = await createClient(HeartbeatService, transport).sync(
        { satellite: "edge-1" },
        {
          headers: { authorization: `Basic ${label}` },
          timeoutMs: 5_000,
          onHeader: (h) => headers.push(h),
          onTrailer: (t) => trailers.push(t),
        },
      );
      expect(res.receiveTime?.seconds, label).toBe(1_700_000_000n);
      expect(seen, label).toEqual([
        {
          name: "edge-1",
          protocol: label === "grpc" ? "grpc" : "connect",
          caller: `Basic ${label}`,
          auth: `Basic ${label}`,
          signalUsable: true,
        },
      ]);
      expect(headers[0]?.get("x-intercepted"), label).toBe("yes");
      expect(trailers[0]?.get("x-trailer"), label).toBe("t");
    }
  });

  it("decodes binary requests with a module's decoder first, and what it leaves with protobuf-es", async () => {
    for (const [label, transport] of Object.entries(transports())) {
      for (const satellite of ["edge-1", "library"]) {
        activities.length = 0;
        decoded.length = 0;
        await createClient(HeartbeatService, transport).sync({ satellite, activity: "as sent" }, { timeoutMs: 5_000 });
        const binary = !label.includes("json");
        expect(decoded, `${label} ${satellite}`).toEqual(binary ? [satellite] : []);
        expect(activities, `${label} ${satellite}`).toEqual([
          binary && satellite === "edge-1" ? "from the module's decoder" : "as sent",
        ]);
      }
    }
  });

  it("maps errors as Connect does: code, message, metadata; internal errors say no more", async () => {
    for (const [label, transport] of Object.entries(transports())) {
      const client = createClient(HeartbeatService, transport);
      const missing = await client.sync({ satellite: "missing" }).catch((e: unknown) => ConnectError.from(e));
      expect(missing, label).toMatchObject({ code: Code.NotFound, rawMessage: "satellite missing not found" });
      expect((missing as ConnectError).metadata.get("x-detail"), label).toBe("meta");
      const crash = await client.sync({ satellite: "crash" }).catch((e: unknown) => ConnectError.from(e));
      expect(crash, label).toMatchObject({ code: Code.Internal, rawMessage: "internal error" });
      const denied = await client
        .sync({ satellite: "edge-1" }, { headers: { authorization: "deny" } })
        .catch((e: unknown) => ConnectError.from(e));
      expect(denied, label).toMatchObject({ code: Code.PermissionDenied, rawMessage: "denied by interceptor" });
    }
  });

  it("drops the connection, reports and survives when a reply cannot be written", async () => {
    for (const [label, transport] of Object.entries(transports())) {
      writeErrors.length = 0;
      const err = await createClient(HeartbeatService, transport)
        .sync({ satellite: "unwritable" })
        .catch((e: unknown) => ConnectError.from(e));
      expect(err, label).toBeInstanceOf(ConnectError);
      expect(writeErrors, label).toHaveLength(1);
    }
    // Still serving.
    expect(
      (await createClient(HeartbeatService, transports()["connect binary h1"]).sync({ satellite: "edge-1" }))
        .receiveTime?.seconds,
    ).toBe(1_700_000_000n);
  });

  it("leaves compressed requests to Connect's handlers", async () => {
    const transport = createConnectTransport({
      baseUrl: h2Url,
      httpVersion: "2",
      useBinaryFormat: true,
      sendCompression: compressionGzip,
      compressMinBytes: 0,
    });
    const err = await createClient(HeartbeatService, transport)
      .sync({ satellite: "edge-1" })
      .catch((e: unknown) => ConnectError.from(e));
    // 404 from the stand-in server: the lean path declined it.
    expect(err).toMatchObject({ code: Code.Unimplemented });
  });

  const raw = (headers: Record<string, string>, body: Uint8Array) =>
    new Promise<{ status: number; body: string; trailers: Record<string, unknown> }>((resolve, reject) => {
      const session = connect(h2Url);
      const stream = session.request({ ":method": "POST", ":path": SYNC, ...headers });
      let status = 0;
      let trailers: Record<string, unknown> = {};
      const chunks: Buffer[] = [];
      stream.on("response", (h) => (status = Number(h[":status"])));
      stream.on("trailers", (t) => (trailers = t));
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("error", reject);
      stream.on("end", () => {
        session.close();
        resolve({ status, body: Buffer.concat(chunks).toString("utf8"), trailers });
      });
      stream.end(body);
    });

  const syncBytes = toBinary(SyncRequestSchema, create(SyncRequestSchema, { satellite: "edge-1" }));
  const frame = (flags: number, message: Uint8Array) =>
    Buffer.concat([Buffer.from([flags, 0, 0, 0, message.length]), message]);

  it("rejects malformed input with the protocol's error codes", async () => {
    const grpc = { "content-type": "application/grpc", te: "trailers" };
    // Flagged compressed with no grpc-encoding named: the client's error, as Connect words it.
    expect((await raw(grpc, frame(1, syncBytes))).trailers).toMatchObject({
      "grpc-status": String(Code.InvalidArgument),
      "grpc-message": "received%20compressed%20envelope%2C%20but%20do%20not%20know%20how%20to%20decompress",
    });
    expect((await raw(grpc, Buffer.concat([frame(0, syncBytes), frame(0, syncBytes)]))).trailers).toMatchObject({
      "grpc-status": String(Code.Unimplemented),
      "grpc-message": expect.stringContaining("extra%20input%20message"),
    });
    expect((await raw(grpc, Buffer.alloc(0))).trailers["grpc-status"]).toBe(String(Code.Unimplemented));
    expect((await raw({ ...grpc, "grpc-timeout": "soon" }, frame(0, syncBytes))).trailers["grpc-status"]).toBe(
      String(Code.InvalidArgument),
    );

    const proto = { "content-type": "application/proto" };
    const badTimeout = await raw({ ...proto, "connect-timeout-ms": "later" }, syncBytes);
    expect(badTimeout.status).toBe(400);
    expect(JSON.parse(badTimeout.body)).toMatchObject({ code: "invalid_argument" });
    const garbage = await raw(proto, Buffer.from([0xff, 0xff, 0xff]));
    // Connect says Internal for undecodable binary; both paths say it is the client's error.
    expect(garbage.status).toBe(400);
    expect(JSON.parse(garbage.body)).toEqual({ code: "invalid_argument", message: "parse binary: premature EOF" });
    const notUtf8 = await raw(proto, Buffer.from([0x0a, 0x02, 0xc3, 0x28]));
    expect(JSON.parse(notUtf8.body)).toEqual({
      code: "invalid_argument",
      message: "parse binary: The encoded data was not valid for encoding utf-8",
    });
    expect((await raw(grpc, frame(0, Buffer.from([0xff, 0xff, 0xff])))).trailers).toMatchObject({
      "grpc-status": String(Code.InvalidArgument),
      "grpc-message": "parse%20binary%3A%20premature%20EOF",
    });
    const oversize = await raw(proto, Buffer.alloc(80 * 1024, 0x0a));
    expect(oversize.status).toBe(429);
    expect(JSON.parse(oversize.body)).toMatchObject({
      code: "resource_exhausted",
      message: expect.stringContaining("readMaxBytes"),
    });
    expect(seen.filter((s) => s.name === "")).toEqual([]);
  });

  it("answers a Host or :authority that is no host and port with InvalidArgument, and serves requests that name none at the local address", async () => {
    seen.length = 0;
    const h1Port = Number(new URL(h1Url).port);
    const connectRequest = (version: string, host: string | undefined) =>
      `POST ${SYNC} HTTP/${version}\r\n${host === undefined ? "" : `Host: ${host}\r\n`}Content-Type: application/proto\r\nContent-Length: ${syncBytes.length}\r\nConnection: close\r\n\r\n`;
    for (const host of ["a b", "[::1", "example.com:99999", "%ZZ", "evil.example/x", "user@example.com"]) {
      const reply = await rawExchange(
        h1Port,
        Buffer.concat([Buffer.from(connectRequest("1.1", host), "latin1"), syncBytes]),
      );
      expect(rawStatus(reply), host).toBe(400);
      expect(JSON.parse(rawBody(reply)), host).toEqual({
        code: "invalid_argument",
        message: `the request's authority (Host or :authority) ${JSON.stringify(host)} is not a host and port`,
      });
    }
    const grpcBadAuthority = await raw(
      { "content-type": "application/grpc", te: "trailers", ":authority": "example.com:99999" },
      frame(0, syncBytes),
    );
    expect(grpcBadAuthority.trailers).toMatchObject({
      "grpc-status": String(Code.InvalidArgument),
      "grpc-message": expect.stringContaining("is%20not%20a%20host%20and%20port"),
    });
    expect(seen).toEqual([]);

    // HTTP/1.0 needs no Host: the call is served, at the address the client connected to.
    urls.length = 0;
    const http10 = await rawExchange(
      h1Port,
      Buffer.concat([Buffer.from(connectRequest("1.0", undefined), "latin1"), syncBytes]),
    );
    expect(rawStatus(http10)).toBe(200);
    expect(urls).toEqual([`http://127.0.0.1:${h1Port}${SYNC}`]);
  });

  it("survives a body that fails after the call was already answered (a malformed timeout, then more than readMaxBytes)", async () => {
    const reply = await raw(
      { "content-type": "application/grpc", te: "trailers", "grpc-timeout": "soon" },
      frame(0, Buffer.alloc(200 * 1024, 0x0a)),
    );
    expect(reply.trailers["grpc-status"]).toBe(String(Code.InvalidArgument));
    await new Promise((r) => setTimeout(r, 50));
    expect(
      (await createClient(HeartbeatService, transports().grpc).sync({ satellite: "edge-1" })).receiveTime?.seconds,
    ).toBe(1_700_000_000n);
  });
});
