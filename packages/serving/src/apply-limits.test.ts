import { createServer as createHttp1Server, type Server } from "node:http";
import { connect as connectH2, createServer as createH2Server } from "node:http2";
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
    const settings = new Promise<number | undefined>((r) => session.once("remoteSettings", (s) => r(s.maxConcurrentStreams)));
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
