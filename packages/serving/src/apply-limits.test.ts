import { createServer as createHttp1Server, type Server } from "node:http";
import {
  connect as connectH2,
  constants,
  createServer as createH2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from "node:http2";
import { createServer as createNetServer, type AddressInfo, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { applyH2Limits, applyHttp1Limits } from "./apply-limits.js";
import { defaultLimits, resolveLimits } from "./limits.js";
import { closedWithin, openSocket } from "./test-support.js";

const limits = resolveLimits({ headersMs: 400, requestMs: 1500, idleMs: 600, keepAliveMs: 300 }, defaultLimits(1024));

describe("HTTP/1.1 limits", () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanup.splice(0)) c();
  });

  async function serve(fedSockets: boolean): Promise<number> {
    const http1: Server = createHttp1Server((_req, res) => res.end("ok"));
    applyHttp1Limits(http1, limits, { fedSockets });
    if (!fedSockets) {
      await new Promise<void>((r) => http1.listen(0, "127.0.0.1", r));
      cleanup.push(() => http1.close());
      return (http1.address() as AddressInfo).port;
    }
    // A front that hands sockets over, as a protocol-sniffing listener does.
    const front = createNetServer((socket) => http1.emit("connection", socket));
    await new Promise<void>((r) => front.listen(0, "127.0.0.1", r));
    cleanup.push(() => {
      front.close();
      http1.close();
    });
    return (front.address() as AddressInfo).port;
  }

  for (const fed of [false, true]) {
    const how = fed ? "handed sockets by another listener" : "listening itself";
    it(`cuts a client that trickles its headers (${how})`, async () => {
      const port = await serve(fed);
      const socket: Socket = await openSocket(port);
      socket.write("GET / HTTP/1.1\r\nHost: x\r\n");
      const drip = setInterval(() => socket.writable && socket.write("X-A: b\r\n"), 100);
      const closed = await closedWithin(socket, 5000);
      clearInterval(drip);
      expect(closed).not.toBe("open");
    });

    it(`cuts a keep-alive connection that sits idle, and a silent one (${how})`, async () => {
      const port = await serve(fed);
      const silent = await openSocket(port);
      const kept = await openSocket(port);
      kept.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      const [k, q] = await Promise.all([closedWithin(kept, 5000), closedWithin(silent, 5000)]);
      expect(k).not.toBe("open");
      expect(q).not.toBe("open");
    });
  }
});

describe("HTTP/2 limits", () => {
  it("destroys a session that sits idle", async () => {
    const server = createH2Server();
    server.on("stream", (stream) => stream.respond({ ":status": 200 }, { endStream: true }));
    applyH2Limits(server, limits);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const session = connectH2(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    session.on("error", () => {});
    const settings = new Promise<number | undefined>((r) =>
      session.once("remoteSettings", (s) => r(s.maxConcurrentStreams)),
    );
    const closed = new Promise<number>((resolve) => {
      const started = Date.now();
      session.once("close", () => resolve(Date.now() - started));
    });
    const timeout = new Promise<"open">((r) => setTimeout(() => r("open"), 5000).unref());
    expect(await Promise.race([closed, timeout])).not.toBe("open");
    expect(await settings).toBe(256);
    server.close();
  });
});

describe("HTTP/2 stream limits", () => {
  const streamLimits = resolveLimits({ idleMs: 800 }, defaultLimits(1024));

  async function serveStreams(onStream: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void) {
    const server = createH2Server();
    applyH2Limits(server, streamLimits);
    server.on("stream", onStream);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const session = connectH2(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    session.on("error", () => {});
    return { server, session };
  }

  it("resets a stream that stalls, and leaves one that keeps moving for longer than the idle timeout", async () => {
    const { server, session } = await serveStreams((stream, headers) => {
      if (headers[":path"] === "/stalled") return;
      // Echoes each request chunk; never ends on its own.
      stream.respond({ ":status": 200 });
      if (headers[":path"] === "/stalled-reply") return;
      stream.on("data", (chunk: Buffer) => stream.write(chunk));
      stream.on("end", () => stream.end());
    });
    const stalledCode = (path: string) => {
      const stalled = session.request({ ":path": path, ":method": "POST" }, { endStream: false });
      stalled.on("error", () => {});
      stalled.resume();
      return new Promise<number>((r) => stalled.once("close", () => r(stalled.rstCode)));
    };
    // Nothing answered yet: CANCEL. A reply under way: INTERNAL_ERROR, so it cannot pass for complete.
    const stalled = stalledCode("/stalled");
    const stalledReply = stalledCode("/stalled-reply");

    const moving = session.request({ ":path": "/moving", ":method": "POST" }, { endStream: false });
    moving.on("error", () => {});
    let echoed = 0;
    moving.on("data", () => echoed++);
    const movingClosed = new Promise<number>((r) => moving.once("close", () => r(moving.rstCode)));
    // A chunk every tenth of the idle timeout, for two and a half idle timeouts.
    for (let i = 0; i < 25; i++) {
      moving.write("x");
      await new Promise((r) => setTimeout(r, streamLimits.idleMs / 10));
    }
    expect(await stalled).toBe(constants.NGHTTP2_CANCEL);
    expect(await stalledReply).toBe(constants.NGHTTP2_INTERNAL_ERROR);
    expect(moving.closed).toBe(false);
    moving.end();
    expect(await movingClosed).toBe(constants.NGHTTP2_NO_ERROR);
    expect(echoed).toBeGreaterThan(0);
    session.close();
    server.close();
  });

  it("survives a client resetting streams with error codes", async () => {
    let opened: () => void = () => {};
    const { server, session } = await serveStreams((stream, headers) => {
      if (headers[":path"] === "/ok") return stream.respond({ ":status": 200 }, { endStream: true });
      // Nobody else listens for this stream's "error": only limitH2Stream's listener does.
      stream.once("close", () => seen.push(stream.rstCode ?? -1));
      opened();
    });
    const seen: number[] = [];
    const codes = [
      constants.NGHTTP2_PROTOCOL_ERROR,
      constants.NGHTTP2_INTERNAL_ERROR,
      constants.NGHTTP2_REFUSED_STREAM,
    ];
    for (const code of codes) {
      const serverHasIt = new Promise<void>((r) => (opened = r));
      const req = session.request({ ":path": "/", ":method": "POST" }, { endStream: false });
      req.on("error", () => {});
      // Reset once the server has the stream, so its side is destroyed with the error.
      await serverHasIt;
      const closed = new Promise((r) => req.once("close", r));
      req.close(code);
      await closed;
    }
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => seen.length === codes.length && (clearInterval(poll), resolve()), 20);
    });
    expect(seen).toEqual(codes);
    // The server still answers on the same session.
    const ok = session.request({ ":path": "/ok" });
    ok.on("error", () => {});
    const status = await new Promise((r) => ok.once("response", (h) => r(h[":status"])));
    expect(status).toBe(200);
    session.close();
    server.close();
  });
});
