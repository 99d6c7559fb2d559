// The kept-alive connections a layer-copy thread shares between copies (createConnectionPool):
// reused only after a whole answer, never after a cut one or a server's close, and ended when
// idle or when the pool closes.
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createConnectionPool, type Connections, type RawGetOptions } from "./raw-http-get.mjs";

interface Upstream {
  url: URL;
  /** Connections accepted, and how many of them have closed. */
  opened: number;
  closed: number;
  requests: http.IncomingMessage[];
  server: http.Server;
}

let upstream: Upstream | undefined;
let pool: Connections | undefined;
afterEach(async () => {
  pool?.close();
  pool = undefined;
  upstream?.server.closeAllConnections();
  await new Promise((resolve) => upstream?.server.close(resolve) ?? resolve(undefined));
  upstream = undefined;
});

const data = randomBytes(300 * 1024);

async function serve(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<Upstream> {
  const server = http.createServer((req, res) => {
    served.requests.push(req);
    answer(req, res);
  });
  server.keepAliveTimeout = 60_000;
  const served: Upstream = { url: new URL("http://x"), opened: 0, closed: 0, requests: [], server };
  server.on("connection", (socket: Socket) => {
    served.opened++;
    socket.on("close", () => served.closed++);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  served.url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/a/blobs/b`);
  upstream = served;
  return served;
}

const whole = (_req: http.IncomingMessage, res: http.ServerResponse) => {
  res.writeHead(200, { "Content-Length": data.length });
  res.end(data);
};

async function get(url: URL, extra: Partial<RawGetOptions> = {}): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pool!.get(
    url,
    {},
    {
      idleTimeoutMs: 5_000,
      onHead: (h) => h.status === 200,
      onBody: (c) => chunks.push(Buffer.from(c)),
      ...extra,
    },
  );
  return Buffer.concat(chunks);
}

const until = async (done: () => boolean) => {
  while (!done()) await new Promise((r) => setTimeout(r, 10));
};

describe("createConnectionPool", () => {
  it("carries one request after another over one connection, without Connection: close", async () => {
    const served = await serve(whole);
    pool = createConnectionPool({ maxIdlePerOrigin: 4, idleMs: 5_000 });
    for (let i = 0; i < 3; i++) expect((await get(served.url)).equals(data)).toBe(true);
    expect(served.opened).toBe(1);
    expect(served.requests.map((r) => r.headers.connection)).toEqual([undefined, undefined, undefined]);
  });

  it("keeps as many connections as ran at once, and reuses them all", async () => {
    const served = await serve(whole);
    pool = createConnectionPool({ maxIdlePerOrigin: 4, idleMs: 5_000 });
    await Promise.all([0, 1, 2].map(() => get(served.url)));
    await Promise.all([0, 1, 2].map(() => get(served.url)));
    expect(served.opened).toBe(3);
  });

  it("keys connections by TLS settings as well as origin", async () => {
    const served = await serve(whole);
    pool = createConnectionPool({ maxIdlePerOrigin: 4, idleMs: 5_000 });
    await get(served.url);
    await get(served.url, { ca: "another CA" });
    expect(served.opened).toBe(2);
  });

  it("opens a new connection after an answer that said close, or whose body was cut short by the reader", async () => {
    let closing = true;
    const served = await serve((req, res) => {
      res.writeHead(200, { "Content-Length": data.length, ...(closing ? { Connection: "close" } : {}) });
      res.end(data);
    });
    pool = createConnectionPool({ maxIdlePerOrigin: 4, idleMs: 5_000 });
    await get(served.url);
    closing = false;
    await get(served.url);
    expect(served.opened).toBe(2);
    await expect(
      get(served.url, {
        onBody: () => {
          throw new Error("stop");
        },
      }),
    ).rejects.toThrow("stop");
    expect((await get(served.url)).equals(data)).toBe(true);
    expect(served.opened).toBe(3);
  });

  it("goes on over a new connection when the server closed the kept one while idle", async () => {
    const served = await serve(whole);
    pool = createConnectionPool({ maxIdlePerOrigin: 4, idleMs: 5_000 });
    await get(served.url);
    served.server.closeIdleConnections();
    await until(() => served.closed === 1);
    expect((await get(served.url)).equals(data)).toBe(true);
    expect(served.opened).toBe(2);
  });

  it("ends a connection idle for idleMs, and the idle ones at close()", async () => {
    const served = await serve(whole);
    pool = createConnectionPool({ maxIdlePerOrigin: 4, idleMs: 100 });
    await get(served.url);
    await until(() => served.closed === 1);
    await Promise.all([0, 1].map(() => get(served.url)));
    expect(served.closed).toBe(1);
    pool.close();
    await until(() => served.closed === 3);
    expect(served.opened).toBe(3);
  });
});
