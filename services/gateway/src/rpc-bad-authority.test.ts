// A request's authority (Host over HTTP/1.x, :authority or Host over HTTP/2) on every serving
// layer (hardening issue 8): naming none is legal HTTP/1.0 and is served at the local address;
// naming one that is no host and port is the client's error, InvalidArgument in the call's
// protocol. Either used to throw inside connect-node's adapter, in the request listener, and end
// Ground Control: gRPC-Web, compressed Connect and Connect GET all went that way.
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IdentityService, LoginRequestSchema } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { h1, h2, parseRawReply, rawExchange } from "./raw-http-support.js";
import { outcomeOf, WIRES, type Wire } from "./rpc-wire-support.js";
import { startTestGroundControl, TEST_ADMIN_PASSWORD } from "./test-support.js";

const LOGIN = "/harbor.satellite.identity.v1.IdentityService/Login";
const credentials = { username: "admin", password: TEST_ADMIN_PASSWORD };
const loginBody = (wire: Wire) =>
  wire.body(
    wire.binary ? toBinary(LoginRequestSchema, create(LoginRequestSchema, credentials)) : JSON.stringify(credentials),
  );
const wire = (name: string) => WIRES.find((w) => w.name === name) as Wire;
const badAuthority = (authority: string) => ({
  code: "InvalidArgument",
  message: `the request's authority (Host or :authority) ${JSON.stringify(authority)} is not a host and port`,
});

/** One raw HTTP/1.x request: the request line, the given headers, and the body with its length. */
function rawRequest(
  version: "1.0" | "1.1",
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Uint8Array = new Uint8Array(0),
): Buffer {
  const lines = [
    `${method} ${path} HTTP/${version}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    `Content-Length: ${body.length}`,
    "Connection: close",
    "",
    "",
  ];
  return Buffer.concat([Buffer.from(lines.join("\r\n"), "latin1"), body]);
}

describe("rpc layers: the request's authority", () => {
  let gc: Awaited<ReturnType<typeof startTestGroundControl>>;
  let port: number;
  beforeAll(async () => {
    gc = await startTestGroundControl();
    port = gc.port;
  });
  afterAll(async () => gc?.close());

  /** HTTP/1.x over a socket: the lean path (Connect JSON), and Connect's handlers (gRPC-Web, gzip, GET). */
  const http1Calls = (version: "1.0" | "1.1", host: Record<string, string>) => ({
    "lean: connect json": rawRequest(
      version,
      "POST",
      LOGIN,
      { ...host, ...wire("connect json").headers },
      loginBody(wire("connect json")),
    ),
    "connect: grpc-web": rawRequest(
      version,
      "POST",
      LOGIN,
      { ...host, ...wire("grpc-web").headers },
      loginBody(wire("grpc-web")),
    ),
    "connect: gzip connect json": rawRequest(
      version,
      "POST",
      LOGIN,
      { ...host, ...wire("connect json gzip").headers },
      loginBody(wire("connect json gzip")),
    ),
    "connect: gzip grpc-web": rawRequest(
      version,
      "POST",
      LOGIN,
      { ...host, ...wire("grpc-web gzip").headers },
      loginBody(wire("grpc-web gzip")),
    ),
  });

  const stillServing = async () => {
    const { sessionToken } = await createClient(
      IdentityService,
      createConnectTransport({ baseUrl: gc.url, httpVersion: "1.1" }),
    ).login(credentials);
    expect(sessionToken).toHaveLength(43);
    expect((await h1(gc.url, { path: "/healthz" })).status).toBe(200);
  };

  it("serves HTTP/1.0 requests without Host on every layer (they used to end the process)", async () => {
    for (const [label, bytes] of Object.entries(http1Calls("1.0", {}))) {
      const reply = parseRawReply(await rawExchange(port, bytes));
      expect(outcomeOf(reply), label).toBe("ok");
      expect(reply.status, label).toBe(200);
    }
    const get = parseRawReply(
      await rawExchange(
        port,
        rawRequest(
          "1.0",
          "GET",
          `${LOGIN}?encoding=json&message=${encodeURIComponent(JSON.stringify(credentials))}`,
          {},
        ),
      ),
    );
    expect(get.status).toBe(405); // Login has side effects: Connect GET is not allowed for it
    expect(parseRawReply(await rawExchange(port, rawRequest("1.0", "GET", "/healthz", {}))).status).toBe(200);
    await stillServing();
  });

  it("answers an HTTP/1.1 Host that is no host and port with InvalidArgument on every layer", async () => {
    for (const host of ["a b", "[::1", "example.com:99999", "%ZZ", "evil.example/x", "user@example.com"]) {
      for (const [label, bytes] of Object.entries(http1Calls("1.1", { Host: host }))) {
        const reply = parseRawReply(await rawExchange(port, bytes));
        expect(outcomeOf(reply), `${label} ${host}`).toEqual(badAuthority(host));
      }
      const get = parseRawReply(
        await rawExchange(port, rawRequest("1.1", "GET", `${LOGIN}?encoding=json&message=%7B%7D`, { Host: host })),
      );
      expect(outcomeOf(get), `GET ${host}`).toEqual(badAuthority(host));
    }
    await stillServing();
  });

  it("answers an HTTP/2 :authority or Host that is no host and port with InvalidArgument on every layer, and serves Host alone", async () => {
    const h2Wires = ["grpc", "connect proto", "grpc gzip", "connect proto gzip", "grpc-web", "grpc-web gzip"].map(wire);
    for (const authority of ["example.com:99999", "[::1", "%zz"]) {
      for (const w of h2Wires) {
        const viaAuthority = await h2(gc.url, {
          method: "POST",
          path: LOGIN,
          headers: w.headers,
          pseudo: { ":authority": authority },
          body: loginBody(w),
        });
        expect(outcomeOf(viaAuthority), `${w.name} ${authority}`).toEqual(badAuthority(authority));
        const viaHost = await h2(gc.url, {
          method: "POST",
          path: LOGIN,
          headers: { ...w.headers, host: authority },
          pseudo: { ":authority": "" },
          body: loginBody(w),
        });
        expect(outcomeOf(viaHost), `${w.name} host ${authority}`).toEqual(badAuthority(authority));
      }
    }
    for (const w of h2Wires) {
      const hostOnly = await h2(gc.url, {
        method: "POST",
        path: LOGIN,
        headers: { ...w.headers, host: `127.0.0.1:${port}` },
        pseudo: { ":authority": "" },
        body: loginBody(w),
      });
      expect(outcomeOf(hostOnly), w.name).toBe("ok");
    }
    await stillServing();
  });
});
