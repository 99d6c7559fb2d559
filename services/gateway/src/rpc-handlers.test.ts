// Ground Control answers the same whichever layer serves a call: the lean unary path (Connect and
// gRPC without compression) and Connect's own handlers (gRPC-Web, compressed requests) give the
// same results and the same errors, word for word.
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import {
  compressionGzip,
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IdentityService } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { pino } from "pino";
import { h1, h2 } from "./raw-http-support.js";
import { createRpcHandlers } from "./rpc-handlers.js";
import { startTestGroundControl, TEST_ADMIN_PASSWORD } from "./test-support.js";
import { listen, type Listener } from "./transport/listener.js";

describe("rpc handlers: lean unary path and Connect's handlers agree", () => {
  let gc: Awaited<ReturnType<typeof startTestGroundControl>>;
  beforeAll(async () => {
    gc = await startTestGroundControl();
  });
  afterAll(async () => gc?.close());

  const gzip = { sendCompression: compressionGzip, compressMinBytes: 0 };
  const transports = (): Record<string, Transport> => ({
    "lean: connect binary h2": createConnectTransport({ baseUrl: gc.url, httpVersion: "2", useBinaryFormat: true }),
    "lean: connect json h1": createConnectTransport({ baseUrl: gc.url, httpVersion: "1.1", useBinaryFormat: false }),
    "lean: grpc": createGrpcTransport({ baseUrl: gc.url }),
    "connect: grpc-web h1": createGrpcWebTransport({ baseUrl: gc.url, httpVersion: "1.1" }),
    "connect: gzip connect binary h2": createConnectTransport({
      baseUrl: gc.url,
      httpVersion: "2",
      useBinaryFormat: true,
      ...gzip,
    }),
    "connect: gzip connect json h1": createConnectTransport({
      baseUrl: gc.url,
      httpVersion: "1.1",
      useBinaryFormat: false,
      ...gzip,
    }),
    "connect: gzip grpc": createGrpcTransport({ baseUrl: gc.url, ...gzip }),
  });

  it("gives the same answers and errors on every layer", async () => {
    const outcomes: Record<string, unknown[]> = {};
    for (const [label, transport] of Object.entries(transports())) {
      const client = createClient(IdentityService, transport);
      const { sessionToken } = await client.login({ username: "admin", password: TEST_ADMIN_PASSWORD });
      const outcome = (p: Promise<unknown>) =>
        p.then(
          () => "ok",
          (e: unknown) => ({ code: Code[ConnectError.from(e).code], message: ConnectError.from(e).rawMessage }),
        );
      outcomes[label] = [
        sessionToken.length,
        await outcome(client.issueZtrToken({ satellite: "edge-1" })),
        await outcome(
          client.issueZtrToken({ satellite: "edge-1" }, { headers: { authorization: `Bearer ${sessionToken}` } }),
        ),
        await outcome(
          client.issueZtrToken({ satellite: "Not A Name" }, { headers: { authorization: `Bearer ${sessionToken}` } }),
        ),
        await outcome(client.login({ username: "admin", password: "wrong" })),
      ];
    }
    const reference = outcomes["lean: connect binary h2"];
    expect(reference).toEqual([
      43,
      { code: "Unauthenticated", message: expect.stringContaining("admin session") },
      { code: "NotFound", message: expect.any(String) },
      { code: "InvalidArgument", message: expect.any(String) },
      { code: "Unauthenticated", message: expect.any(String) },
    ]);
    for (const [label, got] of Object.entries(outcomes)) expect(got, label).toEqual(reference);
  });
});

describe("rpc handlers: a layer that throws", () => {
  const logged: Array<{ msg: string; path: string }> = [];
  let listener: Listener;
  let url: string;
  beforeAll(async () => {
    const { handler, rpcStreams } = createRpcHandlers({
      routes: () => undefined,
      interceptors: [],
      verifyPeer: () => ({ kind: "none" }),
      fallback: (req, res) => {
        if (req.url === "/throws") throw new Error("a route's bug");
        res.writeHead(204);
        res.end();
      },
      logger: pino(
        { level: "error" },
        { write: (line: string) => logged.push(JSON.parse(line) as { msg: string; path: string }) },
      ),
    });
    listener = await listen({ host: "127.0.0.1", port: 0, handler, rpcStreams });
    url = `http://127.0.0.1:${listener.port}`;
  });
  afterAll(async () => listener?.close());

  it("answers 500 over HTTP/1.1 and h2c and logs it, instead of letting the throw end the process, and keeps serving", async () => {
    for (const send of [h1, h2]) {
      logged.length = 0;
      const res = await send(url, { path: "/throws" });
      expect(res.status, send.name).toBe(500);
      expect(logged, send.name).toMatchObject([{ msg: "request handler threw", path: "/throws" }]);
      expect((await send(url, { path: "/fine" })).status, send.name).toBe(204);
    }
  });
});
