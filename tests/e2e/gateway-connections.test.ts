// Hardening (issue 8): Ground Control's one port survives idle, slow and hostile connections. A
// real `ground-control` process on PGlite under an open-file limit of 1,024, with short timeouts
// from its flags. Hostile sockets are bound to 127.0.0.2 and up, the well-behaved client to
// 127.0.0.1 (Linux routes all of 127/8 to lo), so the server sees them as different sources.
// Before: the sniffing listener waited for a first byte forever, HTTP/1.1 never armed its header
// timeout, h2c sessions never timed out, and nothing capped connections, so 1,100 idle sockets
// used up the file limit and locked every client out for good; an ECONNRESET before the first
// byte ended the process.
import { connect as connectH2, constants, type ClientHttp2Session } from "node:http2";
import { connect, type Socket } from "node:net";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ServerReflection } from "@harbor-satellite/gen/grpc/reflection/v1/reflection_pb";
import { defaultLimits } from "@harbor-satellite/serving";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminLogin, health, startGatewayProcess, type GatewayProcess } from "./gateway-process.js";
import { eventually } from "./processes.js";

const ADMIN_PASSWORD = "e2e-connections-password";
const FILE_LIMIT = 1024;
const TIMEOUTS = { firstByteMs: 5_000, headersMs: 2_000, requestMs: 4_000, idleMs: 3_000 };
/** What packages/serving derives from a 1,024 file limit: 768 connections, 96 per source. */
const LIMITS = defaultLimits(FILE_LIMIT);

interface IdleSockets {
  sockets: Socket[];
  open(): number;
}

/** Opens `count` sockets from `localAddress` that never send a byte; counts those still open. */
async function openIdle(port: number, count: number, localAddress: string): Promise<IdleSockets> {
  const closed = new Set<Socket>();
  const sockets = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Socket>((resolve) => {
          const socket = connect({ port, host: "127.0.0.1", localAddress });
          socket.on("error", () => undefined);
          socket.on("close", () => closed.add(socket));
          socket.once("connect", () => resolve(socket));
          socket.once("close", () => resolve(socket));
        }),
    ),
  );
  for (const s of sockets) s.resume();
  return { sockets, open: () => sockets.length - closed.size };
}

async function allClosedByServer(idle: IdleSockets, what: string): Promise<void> {
  await eventually(
    async () => {
      if (idle.open() > 0) throw new Error(`${idle.open()} of ${idle.sockets.length} still open`);
    },
    60_000,
    what,
  );
}

function h2c(url: string): ClientHttp2Session {
  const session = connectH2(url);
  session.on("error", () => undefined);
  return session;
}

describe("ground-control's listener under idle, slow and hostile connections (1,024 open files)", () => {
  let gc: GatewayProcess;
  beforeAll(async () => {
    const flags = [
      "--first-byte-timeout-ms",
      TIMEOUTS.firstByteMs,
      "--header-timeout-ms",
      TIMEOUTS.headersMs,
      "--request-timeout-ms",
      TIMEOUTS.requestMs,
      "--idle-timeout-ms",
      TIMEOUTS.idleMs,
    ].map(String);
    gc = await startGatewayProcess({ fileLimit: FILE_LIMIT, args: flags, adminPassword: ADMIN_PASSWORD });
    expect(await gc.fileLimit()).toBe(FILE_LIMIT);
  });
  afterAll(async () => gc?.stop());

  const stillServing = async () => {
    expect(gc.alive(), gc.output()).toBe(true);
    expect(await adminLogin(gc.url, ADMIN_PASSWORD)).toHaveLength(43);
    expect(await health(gc.url)).toBe(200);
  };

  it("1,100 idle sockets from one address: the per-source cap keeps other clients served, and the server closes them after the first-byte timeout", async () => {
    const idle = await openIdle(gc.port, 1_100, "127.0.0.2");
    // Past the per-source cap, connections are closed at once.
    const held = await eventually(
      async () => {
        const open = idle.open();
        if (open > LIMITS.maxConnectionsPerSource) throw new Error(`${open} open`);
        return open;
      },
      30_000,
      "the per-source cap",
    );
    expect(held).toBeGreaterThan(0);
    // A normal client from another address is served meanwhile: Login over Connect JSON, and health.
    expect(await adminLogin(gc.url, ADMIN_PASSWORD)).toHaveLength(43);
    expect(await health(gc.url)).toBe(200);
    expect(idle.open(), "the idle sockets were still held while the client was served").toBeGreaterThan(0);
    await allClosedByServer(idle, "idle sockets closed by the first-byte timeout");
    expect(gc.output()).toContain("connection refused: too many open connections");
    await stillServing();
  });

  it("1,100 idle sockets from eleven addresses fill the total cap under the file limit; once they time out everyone is served again", async () => {
    const sources = Array.from({ length: 11 }, (_, i) => `127.0.0.${10 + i}`);
    const idle = await Promise.all(sources.map((s) => openIdle(gc.port, 100, s)));
    const open = () => idle.reduce((n, i) => n + i.open(), 0);
    await eventually(
      async () => {
        if (open() > LIMITS.maxConnections) throw new Error(`${open()} open`);
      },
      30_000,
      "the total cap",
    );
    expect(gc.alive(), gc.output()).toBe(true);
    for (const i of idle) await allClosedByServer(i, "idle sockets closed by the first-byte timeout");
    // accept() never ran out of descriptors: the cap refused connections first.
    expect(gc.output()).not.toContain("could not accept a connection");
    await stillServing();
  });

  it("cuts slow-loris clients: headers trickled byte by byte, and a body trickled slower than the request timeout", async () => {
    const loris = await openIdle(gc.port, 30, "127.0.0.3");
    const head = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + "a".repeat(500);
    const body = await openIdle(gc.port, 10, "127.0.0.4");
    const post =
      "POST /satellites/sync HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
    for (const s of body.sockets) s.write(post);
    let i = 0;
    const drip = setInterval(() => {
      for (const s of loris.sockets) if (s.writable) s.write(head[i % head.length]);
      if (i % 5 === 0) for (const s of body.sockets) if (s.writable) s.write("{");
      i++;
    }, 100);
    try {
      // Served meanwhile.
      expect(await health(gc.url)).toBe(200);
      await allClosedByServer(loris, "slow headers cut by the header timeout");
      await allClosedByServer(body, "slow bodies cut by the request timeout");
    } finally {
      clearInterval(drip);
    }
    await stillServing();
  });

  it("h2c: closes a session that idles, resets streams that stall, and keeps a reflection stream that is in use", async () => {
    const idleSession = h2c(gc.url);
    const idleClosed = new Promise((r) => idleSession.once("close", r));

    const stalled = h2c(gc.url);
    const stall = (headers: Record<string, string>) => {
      const req = stalled.request({ ":method": "POST", ...headers }, { endStream: false });
      req.on("error", () => undefined);
      let status: number | undefined;
      req.on("response", (h) => (status = Number(h[":status"])));
      req.resume();
      return new Promise<{ status?: number; rstCode: number }>((r) =>
        req.once("close", () => r({ status, rstCode: req.rstCode ?? -1 })),
      );
    };
    const [login, reflect, sync] = await Promise.all([
      stall({ ":path": "/harbor.satellite.identity.v1.IdentityService/Login", "content-type": "application/json" }),
      stall({
        ":path": "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "content-type": "application/grpc",
      }),
      stall({ ":path": "/satellites/sync", "content-type": "application/json" }),
    ]);
    // Calls waiting for a body that never ends are reset, by the stream's idle timeout or the
    // session's (both idle): never left open, never a clean end.
    for (const call of [login, reflect]) expect(call.rstCode).not.toBe(constants.NGHTTP2_NO_ERROR);
    // The REST route answers before reading a body (no credentials), and the stream is closed.
    expect(sync.status).toBe(401);
    await idleClosed;
    idleSession.destroy();
    stalled.destroy();

    // Legitimate use of the one long-lived rpc: a reflection stream asking every third of the
    // idle timeout, for longer than the idle timeout in all.
    const reflection = createClient(ServerReflection, createGrpcTransport({ baseUrl: gc.url }));
    async function* questions() {
      for (let q = 0; q < 6; q++) {
        if (q > 0) await new Promise((r) => setTimeout(r, TIMEOUTS.idleMs / 3));
        yield { messageRequest: { case: "listServices" as const, value: "" } };
      }
    }
    let answers = 0;
    for await (const answer of reflection.serverReflectionInfo(questions())) {
      expect(answer.messageResponse.case).toBe("listServicesResponse");
      answers++;
    }
    expect(answers).toBe(6);
    await stillServing();
  });

  it("survives connections reset before their first byte and streams the client resets with error codes", async () => {
    for (let i = 0; i < 50; i++) {
      const socket = connect({ port: gc.port, host: "127.0.0.1", localAddress: "127.0.0.5" });
      socket.on("error", () => undefined);
      await new Promise((r) => socket.once("connect", r));
      socket.resetAndDestroy();
    }
    const session = h2c(gc.url);
    const paths = [
      "/harbor.satellite.identity.v1.IdentityService/Login",
      "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
      "/healthz",
      "/v2/",
      "/satellites/sync",
    ];
    for (const code of [constants.NGHTTP2_PROTOCOL_ERROR, constants.NGHTTP2_INTERNAL_ERROR, constants.NGHTTP2_CANCEL]) {
      for (const path of paths) {
        const req = session.request(
          {
            ":method": "POST",
            ":path": path,
            "content-type": path.includes("reflection") ? "application/grpc" : "application/json",
          },
          { endStream: false },
        );
        req.on("error", () => undefined);
        req.write("{");
        await new Promise((r) => setTimeout(r, 10));
        req.close(code);
      }
    }
    session.destroy();
    await stillServing();
  });
});
