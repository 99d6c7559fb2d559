// The one-port listener against hostile and careless clients, with stand-in handlers: what it
// must hold on its own, whatever the gateway serves behind it.
import { connect as connectH2, constants, type ClientHttp2Session } from "node:http2";
import { connect as connectTcp, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import { resolveLimits, defaultLimits } from "@harbor-satellite/serving";
import { selfSignedLoopback } from "@harbor-satellite/oci/testing";
import { afterEach, describe, expect, it } from "vitest";
import { listen, type Listener, type ListenOptions } from "./listener.js";

const limits = resolveLimits(
  { firstByteMs: 300, headersMs: 400, requestMs: 2000, idleMs: 500, maxConnections: 40, maxConnectionsPerSource: 5 },
  defaultLimits(1024),
);

function recorder() {
  const lines: { level: string; msg: string }[] = [];
  return {
    lines,
    logger: {
      error: (_f: unknown, msg: string) => lines.push({ level: "error", msg }),
      warn: (_f: unknown, msg: string) => lines.push({ level: "warn", msg }),
    } as never,
  };
}

function openSocket(port: number, localAddress = "127.0.0.1"): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ port, host: "127.0.0.1", localAddress }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Resolves "closed" when the server closes `socket`, or "open" after `withinMs`. */
function closedWithin(socket: Socket, withinMs: number): Promise<"closed" | "open"> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve("closed");
    const timer = setTimeout(() => resolve("open"), withinMs);
    socket.on("error", () => {});
    socket.resume();
    socket.once("close", () => {
      clearTimeout(timer);
      resolve("closed");
    });
  });
}

async function rawExchange(port: number, request: string): Promise<string> {
  const socket = await openSocket(port);
  let out = "";
  socket.on("data", (c: Buffer) => (out += c.toString("latin1")));
  socket.write(request);
  await closedWithin(socket, 5000);
  return out;
}

function h2Request(
  session: ClientHttp2Session,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status?: number; body: string; rstCode?: number }> {
  return new Promise((resolve) => {
    const req = session.request(headers, { endStream: body === undefined });
    const out: { status?: number; body: string } = { body: "" };
    req.on("response", (h) => (out.status = Number(h[":status"])));
    req.on("data", (c: Buffer) => (out.body += c.toString()));
    req.on("error", () => {});
    req.on("close", () => resolve({ ...out, rstCode: req.rstCode }));
    if (body !== undefined) req.end(body);
  });
}

/** Resolves with how many of `sockets` stay open once those over a cap have been closed. */
async function openOnceRefused(sockets: Socket[], cap: number): Promise<number> {
  const closed = new Set<Socket>();
  for (const s of sockets) {
    s.on("error", () => {});
    s.resume();
    s.once("close", () => closed.add(s));
  }
  for (let waited = 0; sockets.length - closed.size > cap && waited < 10_000; waited += 20)
    await new Promise((r) => setTimeout(r, 20));
  // Give a wrongly accepted extra a moment to show.
  await new Promise((r) => setTimeout(r, 100));
  return sockets.length - closed.size;
}

describe("listener", () => {
  const listeners: Listener[] = [];
  const clients: { destroy(): void }[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await Promise.all(listeners.splice(0).map((l) => l.close()));
  });

  async function start(overrides: Partial<ListenOptions> = {}) {
    const { lines, logger } = recorder();
    const listener = await listen({
      host: "127.0.0.1",
      port: 0,
      limits,
      logger,
      handler: (req, res) => {
        if (req.url === "/throw") throw new Error("handler bug");
        // A handler returning a promise that rejects (the guard takes whatever it returns).
        if (req.url === "/reject") return Promise.reject(new Error("async handler bug")) as never;
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("ok");
      },
      rpcStreams: (stream, headers) => {
        if (headers[":path"] === "/rpc/throw") throw new Error("router bug");
        if (headers[":path"] !== "/rpc/echo") return false;
        stream.respond({ ":status": 200 });
        stream.on("data", (c: Buffer) => stream.write(c));
        stream.on("end", () => stream.end());
        return true;
      },
      ...overrides,
    });
    listeners.push(listener);
    return { port: listener.port, lines };
  }

  const h2c = (port: number) => {
    const session = connectH2(`http://127.0.0.1:${port}`);
    session.on("error", () => {});
    clients.push(session);
    return session;
  };

  it("closes a connection that sends nothing, and survives connections reset before their first byte", async () => {
    const { port } = await start();
    const silent = await openSocket(port);
    for (let i = 0; i < 20; i++) (await openSocket(port)).resetAndDestroy();
    expect(await closedWithin(silent, 5000)).toBe("closed");
    expect(await rawExchange(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).toMatch(
      /^HTTP\/1\.1 200 /,
    );
  });

  it("cuts HTTP/1.1 headers trickled byte by byte, and an idle h2c session", async () => {
    const { port } = await start();
    const loris = await openSocket(port);
    const request = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + "a".repeat(100);
    let i = 0;
    const drip = setInterval(() => loris.writable && i < request.length && loris.write(request[i++]), 50);
    const cut = await closedWithin(loris, 5000);
    clearInterval(drip);
    expect(cut).toBe("closed");

    const session = h2c(port);
    const closed = new Promise<"closed">((r) => session.once("close", () => r("closed")));
    const timeout = new Promise<"open">((r) => setTimeout(() => r("open"), 5000).unref());
    expect(await Promise.race([closed, timeout])).toBe("closed");
  });

  it("refuses a source's connections past its cap while other sources are served", async () => {
    // Silent connections are not timed out during this test.
    const { port, lines } = await start({ limits: { ...limits, firstByteMs: 30_000 } });
    const held = await Promise.all(
      Array.from({ length: limits.maxConnectionsPerSource + 3 }, () => openSocket(port, "127.0.0.2")),
    );
    clients.push(...held);
    expect(await openOnceRefused(held, limits.maxConnectionsPerSource)).toBe(limits.maxConnectionsPerSource);
    expect(await rawExchange(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).toMatch(
      /^HTTP\/1\.1 200 /,
    );
    expect(lines.some((l) => l.msg.startsWith("connection refused"))).toBe(true);
  });

  it("answers a handler's throw or rejection with a 500 on HTTP/1.1 and HTTP/2, and a stream router's throw too", async () => {
    const { port, lines } = await start();
    for (const path of ["/throw", "/reject"]) {
      expect(await rawExchange(port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`)).toMatch(
        /^HTTP\/1\.1 500 [^]*"code":"internal"/,
      );
    }
    const session = h2c(port);
    for (const path of ["/throw", "/reject", "/rpc/throw"]) {
      const answer = await h2Request(session, { ":path": path });
      expect([path, answer.status, JSON.parse(answer.body).code]).toEqual([path, 500, "internal"]);
    }
    expect((await h2Request(session, { ":path": "/ok" })).status).toBe(200);
    expect(lines.filter((l) => l.level === "error")).toHaveLength(5);
  });

  it("resets an HTTP/2 stream that stalls, and survives streams the client resets with error codes", async () => {
    const { port } = await start();
    const session = h2c(port);
    const stalled = session.request({ ":path": "/rpc/echo", ":method": "POST" }, { endStream: false });
    stalled.on("error", () => {});
    stalled.resume();
    const code = await new Promise<number>((r) => stalled.once("close", () => r(stalled.rstCode)));
    // Reset, by the stream's idle timeout or the session's (both idle): never a clean end.
    expect([constants.NGHTTP2_INTERNAL_ERROR, constants.NGHTTP2_CANCEL]).toContain(code);
    const other = h2c(port);
    for (const path of ["/rpc/echo", "/ok"]) {
      const req = other.request({ ":path": path, ":method": "POST" }, { endStream: false });
      req.on("error", () => {});
      req.write("x");
      await new Promise((r) => setTimeout(r, 20));
      req.close(constants.NGHTTP2_PROTOCOL_ERROR);
    }
    expect(await h2Request(h2c(port), { ":path": "/rpc/echo", ":method": "POST" }, "ping")).toMatchObject({
      status: 200,
      body: "ping",
    });
  });

  it("over TLS: bounds the handshake, caps connections, and answers both protocols under the guard", async () => {
    const { cert, key } = await selfSignedLoopback();
    const { port } = await start({ tls: { cert, key } });
    const silent = await openSocket(port);
    expect(await closedWithin(silent, 5000)).toBe("closed");
    // The caps, on a server whose handshake timeout does not close the held connections meanwhile.
    const capped = await start({ tls: { cert, key }, limits: { ...limits, firstByteMs: 30_000 } });
    const held = await Promise.all(
      Array.from({ length: limits.maxConnectionsPerSource + 2 }, () => openSocket(capped.port, "127.0.0.3")),
    );
    clients.push(...held);
    expect(await openOnceRefused(held, limits.maxConnectionsPerSource)).toBe(limits.maxConnectionsPerSource);

    // Plaintext and garbage at the TLS port, and a reset mid-handshake: refused, not thrown.
    expect(await rawExchange(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")).not.toMatch(/^HTTP\/1\.1 200/);
    for (let i = 0; i < 5; i++) {
      const s = await openSocket(port);
      s.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2]));
      s.resetAndDestroy();
    }

    const tls = connectTls({ port, host: "127.0.0.1", ca: cert, ALPNProtocols: ["http/1.1"] });
    tls.on("error", () => {});
    let out = "";
    tls.on("data", (c: Buffer) => (out += c.toString()));
    await new Promise((r) => tls.once("secureConnect", r));
    tls.write("GET /throw HTTP/1.1\r\nHost: x\r\n\r\n");
    await new Promise((r) => tls.once("close", r));
    expect(out).toMatch(/^HTTP\/1\.1 500 /);

    const session = connectH2(`https://127.0.0.1:${port}`, { ca: cert });
    session.on("error", () => {});
    clients.push(session);
    expect((await h2Request(session, { ":path": "/rpc/throw" })).status).toBe(500);
    expect((await h2Request(session, { ":path": "/ok" })).status).toBe(200);
  });
});
