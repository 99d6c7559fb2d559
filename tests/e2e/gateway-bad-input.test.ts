// Hardening issue 8, as an attacker sends it: a real `ground-control` process (embedded PGlite in
// a temp data dir) gets requests that used to end it with one packet — a ZTR token with malformed
// percent-encoding, rpcs with no Host (legal HTTP/1.0) or a Host that is no host and port on every
// path that is not the lean unary one (gRPC-Web, compressed Connect, Connect GET), a garbage
// HTTP/2 :authority, undecodable protobuf — and after each must still be up, answering
// IdentityService/Login over Connect JSON and /healthz.
import { connect as h2Connect, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http2";
import { mkdtemp, rm } from "node:fs/promises";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@harbor-satellite/testkit";
import { startProcess, waitForHttp, type RunningProcess } from "./processes.js";

const ADMIN_PASSWORD = "e2e-admin-password";
const LOGIN = "/harbor.satellite.identity.v1.IdentityService/Login";
const CREDENTIALS = JSON.stringify({ username: "admin", password: ADMIN_PASSWORD });
/** LoginRequest{username: "admin", password: ADMIN_PASSWORD} in protobuf binary. */
const LOGIN_PROTO = Buffer.concat([
  Buffer.from([0x0a, 5]),
  Buffer.from("admin"),
  Buffer.from([0x12, ADMIN_PASSWORD.length]),
  Buffer.from(ADMIN_PASSWORD),
]);
/** One gRPC / gRPC-Web message frame. */
function frame(flags: number, data: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(data.length, 1);
  return Buffer.concat([head, data]);
}

/** Bytes onto a fresh TCP connection; everything the server sent until it closed. */
function exchange(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ port, host: "127.0.0.1" });
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    // Not end(): Node's HTTP server drops a request whose client half-closes before the answer.
    socket.write(bytes);
  });
}

function http1(
  version: "1.0" | "1.1",
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer = Buffer.alloc(0),
): Buffer {
  const head = [
    `${method} ${path} HTTP/${version}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    `Content-Length: ${body.length}`,
    "Connection: close",
    "",
    "",
  ].join("\r\n");
  return Buffer.concat([Buffer.from(head, "latin1"), body]);
}

const statusOf = (reply: string) => Number(/^HTTP\/1\.[01] (\d{3})/.exec(reply)?.[1] ?? 0);

/** One h2c request; status, headers and trailers (gRPC's status is in one of them). */
function h2(
  url: string,
  headers: OutgoingHttpHeaders,
  body: Buffer,
): Promise<{ status: number; headers: IncomingHttpHeaders; trailers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const session = h2Connect(url);
    session.on("error", reject);
    const stream = session.request(headers, { endStream: false });
    let response: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    let data = "";
    stream.on("response", (h) => (response = h));
    stream.on("trailers", (t) => (trailers = t));
    stream.on("data", (c: Buffer) => (data += c.toString("latin1")));
    stream.on("error", reject);
    stream.on("end", () => {
      session.close();
      resolve({ status: Number(response[":status"]), headers: response, trailers, body: data });
    });
    stream.end(body);
  });
}

describe("ground-control process: bad input does not end it", () => {
  let gc: RunningProcess;
  let port: number;
  let url: string;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "hs-gc-bad-input-"));
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    gc = startProcess("ground-control", ["--port", String(port), "--host", "127.0.0.1", "--data-dir", dataDir], {
      DATABASE_URL: "",
      ADMIN_PASSWORD,
      LOG_LEVEL: "warn",
    });
    await waitForHttp(`${url}/healthz`, gc);
  });
  afterAll(async () => {
    await gc?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** The process is up, logs in over Connect JSON and is healthy. */
  const stillServing = async (after: string) => {
    expect(gc.proc.exitCode, `${after}: ${gc.output()}`).toBeNull();
    const login = await fetch(`${url}${LOGIN}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: CREDENTIALS,
    });
    expect(login.status, after).toBe(200);
    expect(((await login.json()) as { sessionToken: string }).sessionToken, after).toHaveLength(43);
    expect((await fetch(`${url}/healthz`)).status, after).toBe(200);
  };

  it("answers GET /satellites/ztr/%ZZ with 400 over HTTP/1.1 and h2c, and lives", async () => {
    const reply = await exchange(port, http1("1.1", "GET", "/satellites/ztr/%ZZ", { Host: `127.0.0.1:${port}` }));
    expect(statusOf(reply)).toBe(400);
    expect(JSON.parse(reply.slice(reply.indexOf("\r\n\r\n") + 4))).toEqual({
      message: "the token in the path is not valid percent-encoding",
      code: 400,
    });
    await stillServing("HTTP/1.1 ztr %ZZ");
    const res = await h2(url, { ":method": "GET", ":path": "/satellites/ztr/%ZZ" }, Buffer.alloc(0));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ code: 400 });
    await stillServing("h2c ztr %ZZ");
  });

  it("serves rpcs sent over HTTP/1.0 without Host on every path, and lives", async () => {
    const attacks: Record<string, Buffer> = {
      "grpc-web": http1("1.0", "POST", LOGIN, { "Content-Type": "application/grpc-web+proto" }, frame(0, LOGIN_PROTO)),
      "gzip connect json": http1(
        "1.0",
        "POST",
        LOGIN,
        { "Content-Type": "application/json", "Content-Encoding": "gzip" },
        gzipSync(CREDENTIALS),
      ),
      "connect get": http1("1.0", "GET", `${LOGIN}?encoding=json&message=${encodeURIComponent(CREDENTIALS)}`, {}),
      "lean connect json": http1(
        "1.0",
        "POST",
        LOGIN,
        { "Content-Type": "application/json" },
        Buffer.from(CREDENTIALS),
      ),
    };
    for (const [label, bytes] of Object.entries(attacks)) {
      const reply = await exchange(port, bytes);
      // Login has side effects, so Connect GET is refused (405); the others log in.
      expect(statusOf(reply), label).toBe(label === "connect get" ? 405 : 200);
      await stillServing(`HTTP/1.0 without Host: ${label}`);
    }
  });

  it("answers a Host that is no host and port with InvalidArgument, and lives", async () => {
    for (const host of ["a b", "[::1", "example.com:99999"]) {
      const grpcWeb = await exchange(
        port,
        http1(
          "1.1",
          "POST",
          LOGIN,
          { Host: host, "Content-Type": "application/grpc-web+proto" },
          frame(0, LOGIN_PROTO),
        ),
      );
      expect(grpcWeb, host).toMatch(/\r\ngrpc-status: 3\r\n/i);
      const gzipConnect = await exchange(
        port,
        http1(
          "1.1",
          "POST",
          LOGIN,
          { Host: host, "Content-Type": "application/json", "Content-Encoding": "gzip" },
          gzipSync(CREDENTIALS),
        ),
      );
      expect(statusOf(gzipConnect), host).toBe(400);
      expect(gzipConnect, host).toContain('"code":"invalid_argument"');
      await stillServing(`Host ${host}`);
    }
    for (const authority of ["example.com:99999", "%zz"]) {
      for (const headers of [
        { "content-type": "application/grpc", te: "trailers", "grpc-encoding": "gzip" },
        { "content-type": "application/grpc-web+proto" },
      ]) {
        const body =
          headers["content-type"] === "application/grpc" ? frame(1, gzipSync(LOGIN_PROTO)) : frame(0, LOGIN_PROTO);
        const res = await h2(url, { ":method": "POST", ":path": LOGIN, ":authority": authority, ...headers }, body);
        expect(
          res.headers["grpc-status"] ?? res.trailers["grpc-status"],
          `${authority} ${headers["content-type"]}`,
        ).toBe("3");
      }
      await stillServing(`:authority ${authority}`);
    }
  });

  it("answers undecodable protobuf with InvalidArgument over gRPC and Connect, and lives", async () => {
    const grpc = await h2(
      url,
      { ":method": "POST", ":path": LOGIN, "content-type": "application/grpc", te: "trailers" },
      frame(0, Buffer.from([0xff, 0xff, 0xff])),
    );
    expect(grpc.trailers["grpc-status"] ?? grpc.headers["grpc-status"]).toBe("3");
    const notUtf8 = await fetch(`${url}${LOGIN}`, {
      method: "POST",
      headers: { "content-type": "application/proto" },
      body: Buffer.from([0x0a, 0x02, 0xc3, 0x28]),
    });
    expect(notUtf8.status).toBe(400);
    expect(await notUtf8.json()).toMatchObject({
      code: "invalid_argument",
      message: expect.stringContaining("parse binary"),
    });
    await stillServing("undecodable protobuf");
  });
});
